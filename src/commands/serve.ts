import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags, untilInterrupted } from '../lib/cli/flags.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { LocalBackend } from '../lib/local/backend.js';
import { DEFAULT_PORT, FulfillServer } from '../lib/local/server.js';
import { faultFlags, faultPlanFrom } from '../lib/cli/fault-flags.js';

export default class Serve extends BaseCommand<typeof Serve> {
  static summary = 'Run the deployed local stage as an HTTP API on loopback, with the storefront page at /.';
  static description = `POST /orders behaves as the deployed API (same validation, mapping, status codes and errors), GET /orders/{id} returns the outcome or the timeline so far, OPTIONS answers CORS preflight for the configured origins, GET /health. Logs one line per request. SIGINT/SIGTERM stop it after in-flight orders finish (or are recorded as interrupted after --grace seconds).\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> serve', '<%= config.bin %> serve --port 8080 --host 0.0.0.0'];
  static flags = {
    ...stageFlags,
    ...faultFlags,
    port: Flags.integer({ char: 'p', summary: `Port (0 picks a free one).`, default: DEFAULT_PORT, min: 0, max: 65535, env: 'FULFILL_PORT' }),
    host: Flags.string({ summary: 'Address to listen on.', default: '127.0.0.1' }),
    grace: Flags.integer({ summary: 'Seconds to let in-flight orders finish on shutdown.', default: 30, min: 0 }),
  };

  async run(): Promise<{ url: string; finished: number; interrupted: string[] }> {
    const { flags } = await this.parse(Serve);
    const config = loadConfig(flags.dir);
    const faults = faultPlanFrom(flags.inject, 'local');
    const backend = await LocalBackend.start(flags.dir, flags.stage ?? config.stage, faults ? { faults } : {});
    // A write that fails in the background (disk full, ...) is said at once, in one line; requests then get 500.
    backend.store.onFault = (error) => process.stderr.write(`Error: ${error.message}\n  → ${error.suggestions.join(' ')}\n`);
    const storefront = join(flags.dir, 'storefront');
    const server = new FulfillServer(backend, {
      host: flags.host,
      port: flags.port,
      ...(existsSync(storefront) ? { staticDir: storefront } : {}),
      log: (line) => this.log(line),
    });
    const url = await server.listen();
    this.log(`fulfill serve: ${backend.deployment.app}/${backend.deployment.stage} (${backend.mode}) on ${url} — POST ${url}/orders${existsSync(storefront) ? `, storefront at ${url}/` : ''}`);
    await untilInterrupted((signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })));
    this.log(`fulfill serve: stopping, ${server.pending.length} order(s) in flight`);
    const { finished, interrupted } = await server.close(flags.grace * 1000);
    await backend.close({ force: interrupted.length > 0 });
    this.log(`fulfill serve: stopped (${finished} finished, ${interrupted.length} recorded as interrupted)`);
    return { url, finished, interrupted };
  }
}
