import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, templateProject } from '../../helpers/cli.js';
import { cli } from '../../helpers/run-command.js';

const envelope = (stdout: string) =>
  JSON.parse(stdout) as { status: number; result: any; error?: any; warnings: string[] };

describe('commands in process, through the Target interface (local target)', () => {
  const tmp = tempDir('fulfill-commands-');
  const dir = templateProject(join(tmp.dir, 'shop'));
  beforeAll(async () => {
    const run = await cli(['deploy'], { dir });
    expect(run.exit).toBe(0);
    // Progress goes to stderr: stdout holds only the result.
    expect(run.stdout).toMatch(/^✔ deployed test-shop\/test \(orchestration\) to local/);
    expect(run.stdout).not.toMatch(/Bundle \d+ handlers/);
    expect(run.stderr).toMatch(/Bundle 7 handlers with esbuild/);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('status: in sync after deploy, drift after a handler changes', async () => {
    const clean = envelope((await cli(['status', '--json'], { dir })).stdout);
    expect(clean).toMatchObject({
      status: 0,
      result: { target: 'local', stage: 'test', deployed: true, mode: 'orchestration', drift: false },
    });
    const file = join(dir, 'handlers/calculate-fee.ts');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, `${before}\nexport const changedForDrift = 1;\n`);
    try {
      const drifted = envelope((await cli(['status', '--json'], { dir })).stdout);
      expect(drifted.result.drift).toBe(true);
      expect(drifted.result.resources).toContainEqual(
        expect.objectContaining({ resource: 'fulfill-test-shop-test-calculate-fee', action: 'updated' }),
      );
    } finally {
      writeFileSync(file, before);
    }
  });

  it('send-order --expect: 0 when met, 1 with the outcome in the envelope when not', async () => {
    const ok = await cli(['send-order', '--payment', 'creditCard', '--expect', 'succeeded', '--json'], { dir });
    expect(envelope(ok.stdout)).toMatchObject({
      status: 0,
      result: { duplicate: false, outcome: { status: 'SUCCEEDED' } },
    });
    const unmet = await cli(['send-order', '--payment', 'giftCard', '--expect', 'succeeded', '--json'], { dir });
    expect(unmet.exit).toBe(1);
    expect(envelope(unmet.stdout)).toMatchObject({
      status: 1,
      error: { code: 'ExpectationNotMet', data: { outcome: { status: 'FAILED' } } },
    });
  });

  it('send-order --file with --payment: the flag overrides the file', async () => {
    const run = await cli(
      [
        'send-order',
        '--file',
        join(dir, 'orders/credit-card-1p.json'),
        '--order-id',
        'file-override-1',
        '--payment',
        'giftCard',
        '--json',
      ],
      { dir },
    );
    const result = envelope(run.stdout).result;
    expect(result.outcome).toMatchObject({
      orderId: 'file-override-1',
      status: 'FAILED',
      payment: { instrument: 'giftCard' },
    });
  });

  it('send-order --count run twice with the same ids says the second run were duplicates', async () => {
    const first = envelope(
      (await cli(['send-order', '--count', '3', '--order-id', 'batch-dup', '--json'], { dir })).stdout,
    );
    expect(first.result).toMatchObject({ sent: 3, succeeded: 3, duplicates: 0 });
    const again = await cli(['send-order', '--count', '3', '--order-id', 'batch-dup'], { dir });
    expect(again.exit).toBe(0);
    expect(again.stdout).toMatch(
      /3 orders: 3 succeeded, 0 failed, 0 errors \(3 duplicates: sent before with the same ids/,
    );
    expect(again.stderr).toMatch(/Warning: 3 of 3 order ids had been sent before/);
  });

  it('send-order with a timeout shorter than any order is exit 4', async () => {
    const run = await cli(['send-order', '--timeout', '1ms', '--order-id', 'too-quick-1', '--json'], { dir });
    expect(run.exit).toBe(4);
    expect(envelope(run.stdout)).toMatchObject({ status: 4, error: { code: 'Timeout' } });
  });

  it('logs --order prints JSON Lines of that order only; --limit keeps the last N', async () => {
    const run = await cli(['logs', '--order', 'file-override-1', '--json'], { dir });
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(3);
    expect(new Set(lines.map((l) => l.orderId))).toEqual(new Set(['file-override-1']));
    expect(lines[0]).toMatchObject({ source: 'api', type: 'ApiRequestReceived' });
    const limited = await cli(['logs', '--order', 'file-override-1', '--limit', '2', '--json'], { dir });
    expect(limited.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('trace: one order, the slowest, and an SLA no order can meet (exit 1, ranking in error.data)', async () => {
    const one = envelope((await cli(['trace', 'file-override-1', '--json'], { dir })).stdout);
    expect(one).toMatchObject({ status: 0, result: { orderId: 'file-override-1' } });
    const slowest = envelope((await cli(['trace', '--slowest', '2', '--json'], { dir })).stdout);
    expect(slowest.result.orders).toHaveLength(2);
    expect(slowest.result.orders[0].durationMs).toBeGreaterThanOrEqual(slowest.result.orders[1].durationMs);
    const sla = await cli(['trace', '--sla', '0ms', '--json'], { dir });
    expect(sla.exit).toBe(1);
    expect(envelope(sla.stdout)).toMatchObject({ status: 1, error: { code: 'ExpectationNotMet', data: { slaMs: 0 } } });
  });

  it('graph and events test-pattern: exit 1 and status 1 agree', async () => {
    const noMatch = await cli([
      'events',
      'test-pattern',
      '--pattern',
      '{"source":["a"]}',
      '--event',
      '{"source":"b"}',
      '--json',
    ]);
    expect(noMatch.exit).toBe(1);
    expect(envelope(noMatch.stdout)).toMatchObject({ status: 1, error: { data: { matches: false } } });
    const match = await cli([
      'events',
      'test-pattern',
      '--pattern',
      '{"source":["a"]}',
      '--event',
      '{"source":"a"}',
      '--json',
    ]);
    expect(envelope(match.stdout)).toMatchObject({ status: 0, result: { matches: true } });
    const graph = await cli(['graph', '--format', 'json', '--json'], { dir });
    expect(envelope(graph.stdout)).toMatchObject({ status: 0 });
  });

  it('destroy --stage ../.. deletes nothing; destroy removes the stage, a second run finds nothing', async () => {
    const escape = await cli(['destroy', '--stage', '../..', '--yes'], { dir });
    expect(escape.exit).toBe(2);
    expect(existsSync(join(dir, 'fulfill.config.json'))).toBe(true);
    expect(existsSync(join(dir, '.fulfill/local/test/state.db'))).toBe(true);
    const other = templateProject(join(tmp.dir, 'other'));
    await cli(['deploy'], { dir: other });
    const first = envelope((await cli(['destroy', '--yes', '--json'], { dir: other })).stdout);
    expect(first).toMatchObject({
      status: 0,
      result: { target: 'local', stage: 'test', deleted: [expect.stringContaining('.fulfill/local/test')] },
    });
    expect(existsSync(join(other, '.fulfill/local/test'))).toBe(false);
    expect(existsSync(join(other, 'fulfill.config.json'))).toBe(true);
    const second = envelope((await cli(['destroy', '--yes', '--json'], { dir: other })).stdout);
    expect(second.result.deleted).toEqual([]);
  }, 120_000);
});
