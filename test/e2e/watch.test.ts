import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrderOutcome } from '../../src/lib/order/outcome.js';
import { BIN, childEnv, tempDir, templateProject } from '../helpers/cli.js';
import { cli } from '../helpers/run-command.js';
import { startServe, type RunningServer } from '../helpers/serve.js';

// Spawned where a second process is the point (deploy --watch, serve); every other command runs in process.

interface Redeploy {
  changed: string[];
  rebundled: string[];
  changes: Array<{ resource: string; action: string }>;
  ok: boolean;
  mode: string;
  durationMs: number;
  deployedAt?: string;
  error?: { code: string; message: string };
}

interface RunningWatch {
  child: ChildProcess;
  redeploys: () => Redeploy[];
  output: () => string;
  /** The first redeploy line (from the `from`-th on) that matches. */
  waitFor: (predicate: (r: Redeploy) => boolean, what: string, from?: number) => Promise<Redeploy>;
  stop: () => Promise<number | null>;
}

/** `fulfill deploy --watch --json` in a project, resolved once it watches (after the first deploy). */
function startWatch(cwd: string): Promise<RunningWatch> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'deploy', '--watch', '--json'], {
      cwd,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const lines = () => out.split('\n').filter((l) => l.startsWith('{"'));
    const redeploys = () => lines().flatMap((l) => ('redeploy' in JSON.parse(l) ? [JSON.parse(l).redeploy] : []));
    const watch: RunningWatch = {
      child,
      redeploys,
      output: () => `${out}\n--- stderr ---\n${err}`,
      waitFor: async (predicate, what, from = 0) => {
        for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
          const found = redeploys().slice(from).find(predicate);
          if (found) return found;
          if (child.exitCode !== null) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error(`no redeploy line ${what}:\n${watch.output()}`);
      },
      stop: () =>
        new Promise((r) => {
          if (child.exitCode !== null) return r(child.exitCode);
          child.once('exit', (code) => r(code));
          child.kill('SIGTERM');
        }),
    };
    const timer = setTimeout(() => reject(new Error(`deploy --watch did not start:\n${watch.output()}`)), 90_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (lines().some((l) => l.startsWith('{"watching"'))) {
        clearTimeout(timer);
        resolve(watch);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`deploy --watch exited with ${code}:\n${watch.output()}`));
    });
  });
}

const envelope = (stdout: string) => JSON.parse(stdout) as { status: number; result: any; warnings: string[] };

/** A 3P order sent in process; the fee rate shows which calculate-fee code ran. */
async function feeRate(dir: string): Promise<number> {
  const run = await cli(['send-order', '--seller', '3P', '--expect', 'succeeded', '--json'], { dir });
  expect(run.exit).toBe(0);
  return envelope(run.stdout).result.outcome.fee.rate as number;
}

/** Sends 3P orders until one runs with the expected fee rate (generous bound; the time is not asserted). */
async function untilFeeRate(dir: string, rate: number, output: () => string): Promise<number> {
  const started = Date.now();
  let seen: number | undefined;
  while (Date.now() - started < 90_000) {
    seen = await feeRate(dir);
    if (seen === rate) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`orders kept the fee rate ${seen}, never ${rate}:\n${output()}`);
}

describe('deploy --watch: an edit is live for the next order, without a restart', () => {
  const tmp = tempDir('fulfill-watch-');
  const dir = templateProject(join(tmp.dir, 'shop'));
  const rules = join(dir, 'handlers/lib/rules.ts');
  const fee = join(dir, 'handlers/calculate-fee.ts');
  let watch: RunningWatch;

  beforeAll(async () => {
    watch = await startWatch(dir);
  }, 120_000);
  afterAll(async () => {
    await watch?.stop();
    tmp.cleanup();
  });

  it('an edited fee rate (in a file the handler imports) is used by the next order', async () => {
    expect(await feeRate(dir)).toBe(0.15);
    writeFileSync(rules, readFileSync(rules, 'utf8').replace('shop: 0.15', 'shop: 0.2'));
    await untilFeeRate(dir, 0.2, watch.output);
    const line = await watch.waitFor((r) => r.changed.includes('handlers/lib/rules.ts'), 'for rules.ts');
    expect(line).toMatchObject({ ok: true, mode: 'orchestration' });
    // Only the handlers importing rules.ts were bundled again; only the one whose code changed is updated.
    expect(line.rebundled).toContain('calculate-fee');
    expect(line.rebundled).not.toContain('notify-customer');
    expect(line.changes).toEqual([
      expect.objectContaining({ resource: 'fulfill-test-shop-test-calculate-fee', action: 'updated' }),
    ]);
    expect(typeof line.durationMs).toBe('number');
    expect(watch.child.exitCode).toBeNull();
  }, 120_000);

  it('a syntax error is one error line, the stage keeps the last good code, and the fix is picked up', async () => {
    const good = readFileSync(fee, 'utf8');
    const before = watch.redeploys().length;
    writeFileSync(fee, `${good}\nexport const broken = ;\n`);
    const failed = await watch.waitFor((r) => !r.ok, 'with an error', before);
    expect(failed.changed).toEqual(['handlers/calculate-fee.ts']);
    expect(failed.error).toMatchObject({ code: 'BadInput' });
    expect(failed.error!.message).toMatch(
      /^handlers\/calculate-fee\.ts:\d+:\d+: handler "calculate-fee" does not compile/,
    );
    expect(failed.error!.message).not.toContain('\n');
    // The last good deployment still runs (and send-order says the sources changed).
    const run = await cli(['send-order', '--seller', '3P', '--json'], { dir });
    expect(envelope(run.stdout).result.outcome.fee.rate).toBe(0.2);
    expect(envelope(run.stdout).warnings[0]).toMatch(/^sources changed since the last deploy: handlers\/calculate-fee/);

    writeFileSync(fee, good.replace('const rate = FEE_RATE[order.fulfillment.by];', 'const rate = 0.25;'));
    await untilFeeRate(dir, 0.25, watch.output);
    expect(watch.child.exitCode).toBeNull();
  }, 120_000);

  it('SIGTERM ends it with exit 0 and the envelope counting the redeploys', async () => {
    const code = await watch.stop();
    expect(code).toBe(0);
    const out = watch.output().split('\n--- stderr ---\n')[0];
    const body = out.slice(out.indexOf('\n{\n') + 1);
    const end = envelope(body);
    expect(end.status).toBe(0);
    expect(end.result.watch.failed).toBeGreaterThanOrEqual(1);
    expect(end.result.watch.redeploys).toBeGreaterThanOrEqual(2);
  });
});

describe('serve picks up a redeploy from another process, and answers 503 after destroy', () => {
  const tmp = tempDir('fulfill-serve-live-');
  const dir = templateProject(join(tmp.dir, 'shop'), { functions: { timeoutSeconds: 120, memoryMb: 256 } });
  const gate = join(tmp.dir, 'gate');
  const fee = join(dir, 'handlers/calculate-fee.ts');
  const rules = join(dir, 'handlers/lib/rules.ts');
  const good = readFileSync(fee, 'utf8');
  let server: RunningServer;

  const order = (orderId: string) => ({
    orderId,
    customerId: 'c-1',
    paymentInstrumentType: 'creditCard',
    sellerId: 'acme-books',
    currency: 'EUR',
    items: [{ sku: 'sku-1', quantity: 1, unitPrice: 100 }],
    shipTo: { country: 'DE', postalCode: '10115' },
  });
  const post = (orderId: string) =>
    fetch(`${server.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order(orderId)),
    });
  async function outcome(orderId: string): Promise<OrderOutcome> {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const view = (await (await fetch(`${server.url}/orders/${orderId}`)).json()) as { outcome?: OrderOutcome };
      if (view.outcome) return view.outcome;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no outcome for ${orderId}:\n${server.output()}`);
  }

  beforeAll(async () => {
    // The first code holds each order in calculate-fee until the gate file exists: an order stays in flight.
    const held = good.replace(
      'export async function handler(order: OrderState, _context?: Context): Promise<Fee> {',
      `import { existsSync } from 'node:fs';
export async function handler(order: OrderState, _context?: Context): Promise<Fee> {
  while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));`,
    );
    writeFileSync(fee, held);
    expect((await cli(['deploy'], { dir })).exit).toBe(0);
    server = await startServe(dir);
  }, 120_000);
  afterAll(async () => {
    writeFileSync(gate, '');
    await server?.stop();
    tmp.cleanup();
  });

  it('new orders run the new code; an order in flight finishes on the code that accepted it', async () => {
    expect((await post('held')).status).toBe(200);
    writeFileSync(fee, good);
    writeFileSync(rules, readFileSync(rules, 'utf8').replace('shop: 0.15', 'shop: 0.2'));
    expect((await cli(['deploy'], { dir })).exit).toBe(0);

    expect((await post('fresh')).status).toBe(200);
    const fresh = await outcome('fresh');
    expect(fresh).toMatchObject({ status: 'SUCCEEDED', fee: { rate: 0.2 } });
    const held = (await (await fetch(`${server.url}/orders/held`)).json()) as { status: string };
    expect(held.status).toBe('RUNNING');

    writeFileSync(gate, '');
    expect(await outcome('held')).toMatchObject({ status: 'SUCCEEDED', fee: { rate: 0.15 } });
    expect(server.output()).toMatch(/picked up the deployment of \S+ \(orchestration\); 1 order\(s\) in flight/);
  });

  it('a mode switch (deploy -m events) is picked up', async () => {
    expect((await cli(['deploy', '-m', 'events'], { dir })).exit).toBe(0);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { mode: string };
    expect(health.mode).toBe('events');
    expect((await post('as-events')).status).toBe(200);
    expect(await outcome('as-events')).toMatchObject({ status: 'SUCCEEDED', mode: 'events', fee: { rate: 0.2 } });
    expect(server.output()).toMatch(/\(orchestration → events\)/);
  });

  it('after destroy: 503 with a one-line JSON body, no state recreated; a later deploy brings it back', async () => {
    expect((await cli(['destroy', '--yes'], { dir })).exit).toBe(0);
    const stage = join(dir, '.fulfill/local/test');
    expect(existsSync(stage)).toBe(false);
    for (const res of [await post('after-destroy'), await fetch(`${server.url}/orders/fresh`)]) {
      expect(res.status).toBe(503);
      const body = await res.text();
      expect(body).not.toContain('\n');
      expect(JSON.parse(body)).toEqual({
        message: 'Service Unavailable: stage "test" is not deployed (destroyed); run `fulfill deploy` to bring it back',
      });
    }
    // Past a few of serve's checks between requests: still nothing on disk.
    await new Promise((r) => setTimeout(r, 600));
    expect(existsSync(stage)).toBe(false);

    expect((await cli(['deploy'], { dir })).exit).toBe(0);
    expect((await post('back')).status).toBe(200);
    expect(await outcome('back')).toMatchObject({ status: 'SUCCEEDED', mode: 'orchestration' });
  });

  it('stops with exit 0', async () => {
    expect(await server.stop()).toBe(0);
  });
});
