import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrderTrace } from '../../src/lib/trace/trace.js';
import { envelope, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/** Makes determine-seller fail once per order (first attempt), so retries show up in the trace. */
function flakyDetermineSeller(dir: string) {
  const file = join(dir, 'handlers', 'determine-seller.ts');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      'export async function handler(order: OrderState, _context?: Context): Promise<Seller> {',
      `const seen = new Set<string>();
export async function handler(order: OrderState, _context?: Context): Promise<Seller> {
  if (!seen.has(order.orderId)) {
    seen.add(order.orderId);
    const error = new Error('seller directory busy');
    error.name = 'Lambda.TooManyRequestsException';
    throw error;
  }`,
    ),
  );
}

describe.each(['orchestration', 'events'] as const)('trace (%s)', (mode) => {
  const tmp = tempDir();

  beforeAll(async () => {
    templateProject(tmp.dir, { mode });
    flakyDetermineSeller(tmp.dir);
    // Short retry intervals so the test is quick: the state machine's Retry and the bus's retry policy both apply.
    const asl = join(tmp.dir, 'workflow.asl.json');
    writeFileSync(asl, readFileSync(asl, 'utf8').replaceAll('"IntervalSeconds": 1', '"IntervalSeconds": 0'));
    expect((await runInProcess(['deploy'], { cwd: tmp.dir })).code).toBe(0);
    expect((await runInProcess(['send-order', '--order-id', 't-ok', '--seller', '3P'], { cwd: tmp.dir })).code).toBe(0);
    expect(
      (await runInProcess(['send-order', '--order-id', 't-fail', '--payment', 'giftCard'], { cwd: tmp.dir })).code,
    ).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  it('shows a retried handler and the critical path of a completed order', async () => {
    const run = await runInProcess(['trace', 't-ok', '--json'], { cwd: tmp.dir });
    expect(run.code).toBe(0);
    const trace = envelope<OrderTrace>(run).result;
    expect(trace).toMatchObject({ orderId: 't-ok', mode, status: 'SUCCEEDED' });
    expect(trace.retries).toBeGreaterThanOrEqual(1);
    const seller = trace.spans
      .filter((s) => s.name === 'DetermineSeller' || s.name === 'determine-seller')
      .filter((s) => s.kind !== 'state');
    expect(seller.map((s) => s.status)).toEqual(['failed', 'ok']);
    expect(seller[1].attempt).toBe(2);
    const path = trace.criticalPath.join(' ');
    expect(path).toMatch(
      mode === 'events'
        ? /OrderPlaced authorize-payment PaymentAuthorized determine-seller#2 SellerDetermined .*OrderCompleted/
        : /AuthorizePayment .*DetermineSeller#2 .*IssueInvoices/,
    );
    // The notification fan-out is not on the critical path of an events order.
    if (mode === 'events') expect(trace.spans.find((s) => s.name === 'CustomerNotified')?.onCriticalPath).toBe(false);
    expect(trace.totalMs).toBeGreaterThan(0);
    const human = await runInProcess(['trace', 't-ok'], { cwd: tmp.dir });
    expect(human.stdout).toMatch(/critical path \(\*\): /);
    expect(human.stdout).toMatch(/attempt 2/);
  });

  it('shows the failure of a failed order', async () => {
    const trace = envelope<OrderTrace>(await runInProcess(['trace', 't-fail', '--json'], { cwd: tmp.dir })).result;
    expect(trace.status).toBe('FAILED');
    expect(trace.errors.join()).toMatch(/PaymentAuthorizationFailed/);
  });

  it('lists the slowest orders and reports SLA breaches with exit code 1', async () => {
    const slowest = envelope<{ orders: Array<{ orderId: string; durationMs: number }> }>(
      await runInProcess(['trace', '--slowest', '1', '--json'], { cwd: tmp.dir }),
    ).result;
    expect(slowest.orders).toHaveLength(1);
    const breached = await runInProcess(['trace', '--sla', '1ms', '--json'], { cwd: tmp.dir });
    expect(breached.code).toBe(1);
    expect(envelope(breached).error?.message).toMatch(/2 of 2 orders since 1h over the 1ms SLA/);
    const met = await runInProcess(['trace', '--sla', '60s'], { cwd: tmp.dir });
    expect(met.code).toBe(0);
    expect(met.stdout).toMatch(/0 of 2 orders/);
    expect((await runInProcess(['trace', 'nope'], { cwd: tmp.dir })).code).toBe(2);
  });
});

describe('status and destroy on the local target', () => {
  const tmp = tempDir();
  beforeAll(() => {
    templateProject(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it('status reports not deployed, in sync, then drift after a change', async () => {
    const before = await runInProcess(['status', '--json'], { cwd: tmp.dir });
    expect(before.code).toBe(2);
    expect(envelope(before)).toMatchObject({
      status: 2,
      error: { message: 'stage "test" is not deployed on the local target' },
    });
    expect((await runInProcess(['deploy'], { cwd: tmp.dir })).code).toBe(0);
    const inSync = envelope<{ drift: boolean; resources: unknown[] }>(
      await runInProcess(['status', '--json'], { cwd: tmp.dir }),
    ).result;
    expect(inSync.drift).toBe(false);
    expect(inSync.resources.length).toBe(9);
    const file = join(tmp.dir, 'handlers', 'calculate-fee.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Math.max(MINIMUM_FEE', 'Math.max(MINIMUM_FEE * 2'));
    const drift = envelope<{ drift: boolean; resources: Array<{ resource: string; action: string; why?: string[] }> }>(
      await runInProcess(['status', '--json'], { cwd: tmp.dir }),
    ).result;
    expect(drift.drift).toBe(true);
    expect(drift.resources.filter((r) => r.action !== 'unchanged')).toEqual([
      { resource: 'fulfill-test-shop-test-calculate-fee', kind: 'function', action: 'updated', why: ['code changed'] },
    ]);
  });

  it('destroy needs --yes without a terminal, then removes the stage, and a second run finds nothing', async () => {
    // "Without a terminal" is stdin and stderr: runInProcess presents them as no TTY, as a subprocess's pipes.
    const refused = await runInProcess(['destroy'], { cwd: tmp.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/destroy needs --yes/);
    expect(existsSync(join(tmp.dir, '.fulfill/local/test'))).toBe(true);
    const first = envelope<{ deleted: string[] }>(await runInProcess(['destroy', '--yes', '--json'], { cwd: tmp.dir }));
    expect(first.result.deleted).toHaveLength(1);
    expect(existsSync(join(tmp.dir, '.fulfill/local/test'))).toBe(false);
    const second = await runInProcess(['destroy', '--yes', '--json'], { cwd: tmp.dir });
    expect(second.code).toBe(0);
    expect(envelope<{ deleted: string[] }>(second).result.deleted).toEqual([]);
  });
});
