import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { durationFlag, stageFlags, untilInterrupted } from '../lib/cli/flags.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { faultFlags, faultPlanFrom } from '../lib/cli/fault-flags.js';
import { openTarget, type ServeReport } from '../lib/targets/index.js';

/** `fulfill serve`'s default port (also documented in the README). */
const DEFAULT_PORT = 4000;

export default class Serve extends BaseCommand<typeof Serve> {
  static summary = 'Run the deployed local stage as an HTTP API on loopback, with the storefront page at /.';
  static description = `POST /orders behaves as the deployed API (same validation, mapping, status codes and errors, 415 for a non-JSON body, 429 over the configured api.throttle), GET /orders/{id} returns the outcome or the timeline so far, OPTIONS answers CORS preflight for the configured origins, GET /health. Logs one line per request. SIGINT/SIGTERM stop it after in-flight orders finish (or are recorded as interrupted after --grace).\n\nWith --json it prints one JSON line as soon as it listens, {"listening": {"url", "port"}}, and the usual envelope when it stops.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 8080 --host 0.0.0.0',
    '<%= config.bin %> serve --port 0 --json',
  ];
  static flags = {
    ...stageFlags,
    port: Flags.integer({
      char: 'p',
      summary: `Port (0 picks a free one).`,
      default: DEFAULT_PORT,
      min: 0,
      max: 65535,
      env: 'FULFILL_PORT',
    }),
    host: Flags.string({ summary: 'Address to listen on.', default: '127.0.0.1' }),
    grace: durationFlag({
      summary: 'How long in-flight orders may finish on shutdown: 500ms, 30s, 1m (a bare number means seconds).',
      default: 30_000,
      defaultHelp: async () => '30s',
    }),
    ...faultFlags,
  };

  async run(): Promise<ServeReport> {
    const { flags } = await this.parse(Serve);
    const target = await openTarget({ ...flags, target: 'local' });
    const faults = faultPlanFrom(flags.inject, target.name);
    let report: ServeReport | undefined;
    await untilInterrupted(async (signal) => {
      report = await target.serve({
        host: flags.host,
        port: flags.port,
        graceMs: flags.grace,
        signal,
        ...(faults ? { faults } : {}),
        log: (line) => this.log(line),
        onListening: ({ url, port, headline }) => {
          // Under --json a script needs the port now (--port 0), not when the server stops: one JSON line.
          if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ listening: { url, port } })}\n`);
          else this.log(headline);
        },
      });
    });
    return report!;
  }
}
