import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry } from '../../../src/lib/logs/entry.js';
import { jsonLines, tempDir, templateProject } from '../../helpers/cli.js';
import { cli } from '../../helpers/run-command.js';
import { executionRows, openStateDb } from '../../helpers/state.js';

const envelope = (stdout: string) =>
  JSON.parse(stdout) as { status: number; result: any; error?: any; warnings: string[] };

// One events-mode stage for the whole file (deploys are the slow part); the tests run in order on it.
describe('redrive and replay (events mode, local target, in process)', () => {
  const tmp = tempDir('fulfill-redrive-');
  const dir = templateProject(join(tmp.dir, 'shop'), { mode: 'events' });
  const handler = join(dir, 'handlers', 'select-warehouse.ts');
  const original = readFileSync(handler, 'utf8');

  const deadLetters = (orderId?: string) => {
    const db = openStateDb(dir, 'test');
    try {
      const sql = `SELECT order_id, rule, execution_id FROM dead_letters ${orderId ? 'WHERE order_id = ?' : ''} ORDER BY id`;
      return (orderId ? db.prepare(sql).all(orderId) : db.prepare(sql).all()) as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  };
  const logs = async (orderId: string, execution?: number) =>
    jsonLines<LogEntry>(
      (
        await cli(['logs', '--order', orderId, ...(execution ? ['--execution', String(execution)] : []), '--json'], {
          dir,
        })
      ).stdout,
    );
  const send = async (args: string[]) => envelope((await cli(['send-order', ...args, '--json'], { dir })).stdout);

  beforeAll(async () => {
    // A handler whose environment crashes (outside the events wrapper) for one postal code: the bus retries the
    // delivery, then dead-letters it; orders to other postal codes go through.
    writeFileSync(
      handler,
      original.replace(
        'return warehouseFor',
        "if (order.shipTo.postalCode === '00000') { setImmediate(() => { throw new Error('warehouse system down'); }); await new Promise(() => {}); }\n  return warehouseFor",
      ),
    );
    expect((await cli(['deploy'], { dir })).exit).toBe(0);
  }, 180_000);
  afterAll(() => tmp.cleanup());

  it('with nothing dead-lettered: says so and exits 0', async () => {
    const run = await cli(['redrive'], { dir });
    expect(run.exit).toBe(0);
    expect(run.stdout.trim()).toBe('nothing to redrive: no dead letters');
    const json = envelope((await cli(['redrive', '--order', 'nobody', '--json'], { dir })).stdout);
    expect(json).toMatchObject({ status: 0, result: { letters: [], executions: [] } });
  });

  it('a letter redriven while the handler still fails is dead-lettered again (exit 1), replaced, on a new execution', async () => {
    const sent = await send(['--postal-code', '00000', '--order-id', 'rd-crash', '--timeout', '60']);
    expect(sent.result.outcome).toMatchObject({ status: 'FAILED', error: { error: 'Runtime.ExitError' } });
    expect(deadLetters('rd-crash')).toEqual([expect.objectContaining({ rule: 'select-warehouse-1p' })]);

    const run = await cli(['redrive', '--order', 'rd-crash', '--json'], { dir });
    expect(run.exit).toBe(1);
    const json = envelope(run.stdout);
    expect(json).toMatchObject({
      status: 1,
      error: { code: 'ExpectationNotMet', message: '1 of 1 dead letter(s) were dead-lettered again' },
    });
    expect(json.error.data).toMatchObject({
      letters: [{ orderId: 'rd-crash', rule: 'select-warehouse-1p', fromExecution: 1, result: 'dead-lettered-again' }],
      executions: [{ orderId: 'rd-crash', execution: 2, status: 'FAILED' }],
    });
    // The old letter is replaced by the new execution's: still one letter, now of execution 2.
    const letters = deadLetters('rd-crash');
    expect(letters).toHaveLength(1);
    const rows = executionRows(dir, 'test').filter((r) => r.orderId === 'rd-crash');
    expect(rows.map((r) => [r.execution, r.outcomeStatus, r.outcomes])).toEqual([
      [1, 'FAILED', 1],
      [2, 'FAILED', 1],
    ]);
    expect(letters[0].execution_id).toBe(rows[1].id);
  }, 120_000);

  it('fixed and redeployed, the redrive re-delivers the letter and the order SUCCEEDS on a new execution', async () => {
    writeFileSync(handler, original);
    expect((await cli(['deploy'], { dir })).exit).toBe(0);

    const dry = envelope((await cli(['redrive', '--dry-run', '--json'], { dir })).stdout);
    expect(dry.result).toMatchObject({
      dryRun: true,
      letters: [{ orderId: 'rd-crash', result: 'pending', fromExecution: 2 }],
      executions: [],
    });
    expect(deadLetters('rd-crash')).toHaveLength(1); // a dry run changes nothing
    expect(executionRows(dir, 'test').filter((r) => r.orderId === 'rd-crash')).toHaveLength(2);

    const run = await cli(['redrive', '--json'], { dir });
    expect(run.exit).toBe(0);
    const result = envelope(run.stdout).result;
    expect(result.letters).toEqual([
      expect.objectContaining({ orderId: 'rd-crash', detailType: 'SellerDetermined', result: 'redelivered' }),
    ]);
    expect(result.executions).toEqual([
      expect.objectContaining({
        orderId: 'rd-crash',
        execution: 3,
        status: 'SUCCEEDED',
        outcome: expect.objectContaining({ warehouse: 'FRA1', fulfilledBy: 'shop', status: 'SUCCEEDED' }),
      }),
    ]);
    expect(deadLetters('rd-crash')).toEqual([]);
    // Each execution has exactly one outcome; the failed ones keep theirs.
    expect(
      executionRows(dir, 'test')
        .filter((r) => r.orderId === 'rd-crash')
        .map((r) => [r.execution, r.outcomeStatus, r.outcomes]),
    ).toEqual([
      [1, 'FAILED', 1],
      [2, 'FAILED', 1],
      [3, 'SUCCEEDED', 1],
    ]);

    // logs: the redrive entry first, then the delivery and the flow onwards to the terminal event.
    const entries = (await logs('rd-crash', 3)).filter((e) => e.source === 'events');
    expect(entries[0]).toMatchObject({
      type: 'DeadLetterRedriven',
      execution: 3,
      name: 'SellerDetermined',
      details: { rule: 'select-warehouse-1p', target: 'select-warehouse', fromExecution: 2 },
    });
    const types = entries.map((e) => `${e.type} ${e.name ?? ''}`.trim());
    expect(types).toEqual(
      expect.arrayContaining([
        'DeliverySucceeded SellerDetermined',
        'EventPublished WarehouseSelected',
        'EventPublished OrderCompleted',
        'OutcomeRecorded OrderCompleted',
      ]),
    );
    expect(types.filter((t) => t.startsWith('OutcomeRecorded'))).toHaveLength(1);
    expect(types.indexOf('DeliverySucceeded SellerDetermined')).toBeGreaterThan(0);

    // trace: the latest execution by default, and each earlier one with --execution.
    const trace = envelope((await cli(['trace', 'rd-crash', '--json'], { dir })).stdout);
    expect(trace.result).toMatchObject({ status: 'SUCCEEDED' });
    const first = envelope((await cli(['trace', 'rd-crash', '--execution', '1', '--json'], { dir })).stdout);
    expect(first.result).toMatchObject({ status: 'FAILED' });

    // Idempotent: the letter is gone, a second redrive finds nothing.
    const again = await cli(['redrive'], { dir });
    expect(again.exit).toBe(0);
    expect(again.stdout).toMatch(/^nothing to redrive/);
  }, 180_000);

  it('--order and --rule pick the letters; the others stay', async () => {
    // Transient Lambda errors on every attempt of this process (fail:3 > 1 try + 2 retries): dead letters.
    const a = await send(['--order-id', 'rd-a', '--inject', 'select-warehouse:fail:3']);
    const b = await send(['--order-id', 'rd-b', '--inject', 'determine-seller:fail:3']);
    expect([a.result.outcome.status, b.result.outcome.status]).toEqual(['FAILED', 'FAILED']);
    expect(deadLetters().map((l) => [l.order_id, l.rule])).toEqual([
      ['rd-a', 'select-warehouse-1p'],
      ['rd-b', 'determine-seller'],
    ]);

    const byRule = envelope((await cli(['redrive', '--rule', 'determine-seller', '--json'], { dir })).stdout);
    expect(byRule.result.letters.map((l: any) => [l.orderId, l.result])).toEqual([['rd-b', 'redelivered']]);
    expect(byRule.result.executions).toEqual([expect.objectContaining({ orderId: 'rd-b', status: 'SUCCEEDED' })]);
    expect(deadLetters().map((l) => l.order_id)).toEqual(['rd-a']);

    const none = await cli(['redrive', '--order', 'rd-a', '--rule', 'determine-seller'], { dir });
    expect(none.exit).toBe(0);
    expect(none.stdout.trim()).toBe('nothing to redrive: no dead letters for order rd-a, rule determine-seller');

    const byOrder = envelope((await cli(['redrive', '--order', 'rd-a', '--json'], { dir })).stdout);
    expect(byOrder.result.executions).toEqual([
      expect.objectContaining({ orderId: 'rd-a', execution: 2, status: 'SUCCEEDED' }),
    ]);
    expect(deadLetters()).toEqual([]);
  }, 180_000);

  it('an unknown --rule exits 2 with one line naming the rules', async () => {
    for (const command of ['redrive', 'replay']) {
      const run = await cli([command, '--rule', 'no-such-rule', ...(command === 'replay' ? ['--since', '1h'] : [])], {
        dir,
      });
      expect(run.exit).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^Error: --rule: stage "test" has no rule "no-such-rule" \(its rules: authorize-payment, /,
        ),
      ]);
    }
  });

  it("replay --order: the order's recorded events again, in their original order, with a replay-name", async () => {
    expect((await send(['--order-id', 'rp-1'])).result.outcome.status).toBe('SUCCEEDED');
    const published = (await logs('rp-1'))
      .filter((e) => e.type === 'EventPublished')
      .map((e) => ({ name: e.name, eventId: e.details?.eventId }));

    const dry = envelope((await cli(['replay', '--order', 'rp-1', '--dry-run', '--json'], { dir })).stdout);
    // Events that reach a rule: all but the ones nothing subscribes to (CustomerNotified, OrderCompleted).
    const routed = published.filter((e) => e.name !== 'CustomerNotified' && e.name !== 'OrderCompleted');
    expect(dry.result.events.map((e: any) => ({ name: e.detailType, eventId: e.eventId }))).toEqual(routed);
    expect(dry.result.skipped).toBe(2);
    expect(executionRows(dir, 'test').filter((r) => r.orderId === 'rp-1')).toHaveLength(1);

    const run = envelope((await cli(['replay', '--order', 'rp-1', '--json'], { dir })).stdout);
    expect(run.status).toBe(0);
    expect(run.result.replayName).toMatch(/^fulfill-replay-/);
    expect(run.result.executions).toEqual([
      expect.objectContaining({ orderId: 'rp-1', execution: 2, status: 'SUCCEEDED' }),
    ]);
    const entries = await logs('rp-1', 2);
    expect(entries[0]).toMatchObject({ type: 'ReplayStarted', details: { replayName: run.result.replayName } });
    const replayed = entries.filter((e) => e.type === 'EventReplayed');
    expect(replayed.map((e) => ({ name: e.name, eventId: e.details?.eventId }))).toEqual(routed);
    expect(new Set(replayed.map((e) => e.details?.replayName))).toEqual(new Set([run.result.replayName]));
    // The replayed events reached their rules' targets, and the targets' events flowed on to the outcome.
    const delivered = entries.filter((e) => e.type === 'DeliverySucceeded').map((e) => e.details?.eventId);
    for (const event of routed) expect(delivered).toContain(event.eventId);
    expect(entries.filter((e) => e.type === 'OutcomeRecorded')).toEqual([
      expect.objectContaining({ details: { status: 'SUCCEEDED' } }),
    ]);
    // Replaying again takes the order's submission (execution 1), not the replay's own events.
    const again = envelope((await cli(['replay', '--order', 'rp-1', '--dry-run', '--json'], { dir })).stdout);
    expect(again.result.events.map((e: any) => e.eventId)).toEqual(routed.map((e) => e.eventId));
  }, 180_000);

  it('replay --rule: only that rule gets the events (FilterArns)', async () => {
    const run = envelope(
      (await cli(['replay', '--order', 'rp-1', '--rule', 'issue-invoices', '--json'], { dir })).stdout,
    );
    expect(run.result.events).toEqual([
      expect.objectContaining({ detailType: 'WarehouseSelected', rules: ['issue-invoices'] }),
    ]);
    const execution = run.result.executions[0];
    expect(execution).toMatchObject({ orderId: 'rp-1', status: 'SUCCEEDED' });
    const entries = await logs('rp-1', execution.execution);
    const deliveries = entries.filter((e) => e.type === 'DeliverySucceeded').map((e) => e.details?.rule);
    expect(deliveries).toEqual(['issue-invoices']);
    expect(entries.filter((e) => e.type === 'EventPublished').map((e) => e.name)).toEqual(['OrderCompleted']);
  }, 120_000);

  it('replay --since: every order in the window, dry run', async () => {
    const run = envelope(
      (await cli(['replay', '--since', '1h', '--rule', 'authorize-payment', '--dry-run', '--json'], { dir })).stdout,
    );
    const orders = new Set(run.result.events.map((e: any) => e.orderId));
    for (const id of ['rd-crash', 'rd-a', 'rd-b', 'rp-1']) expect(orders).toContain(id);
    expect(run.result.events.every((e: any) => e.detailType === 'OrderPlaced')).toBe(true);
    expect(run.result.executions).toEqual([]);
  });

  it('replay flags: exactly one of --order and --since, --since in the duration grammar', async () => {
    for (const args of [[], ['--order', 'rp-1', '--since', '1h']]) {
      const run = await cli(['replay', ...args], { dir });
      expect(run.exit).toBe(2);
      expect(run.stderr).toMatch(/^Error: replay needs exactly one of --order ID or --since DURATION/);
    }
    const bad = await cli(['replay', '--since', '1 hour', '--json'], { dir });
    expect(bad.exit).toBe(2);
    expect(envelope(bad.stdout).error.message).toMatch(/^--since must be a duration such as 500ms/);
    const nothing = await cli(['replay', '--order', 'never-sent'], { dir });
    expect(nothing.exit).toBe(0);
    expect(nothing.stdout).toMatch(/^nothing to replay/);
  });

  it('a letter an interrupted execution left unrouted (rule "(not routed)") is routed on redrive', async () => {
    expect((await send(['--order-id', 'rd-int'])).result.outcome.status).toBe('SUCCEEDED');
    const placed = (await logs('rd-int')).find((e) => e.type === 'EventPublished' && e.name === 'OrderPlaced')!;
    // What recovery writes for a queued, not yet routed event of an execution whose process died.
    const db = openStateDb(dir, 'test');
    try {
      const execution = db.prepare("SELECT id FROM executions WHERE order_id = 'rd-int'").get() as { id: number };
      db.prepare(
        'INSERT INTO dead_letters (execution_id, order_id, ts, rule, target, attempts, error, cause, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        execution.id,
        'rd-int',
        Date.now(),
        '(not routed)',
        '-',
        0,
        'Interrupted',
        'interrupted: process 1 exited',
        JSON.stringify({
          version: '0',
          id: placed.details!.eventId,
          'detail-type': 'OrderPlaced',
          source: placed.details!.source,
          account: '000000000000',
          time: placed.timestamp.replace(/\.\d{3}Z$/, 'Z'),
          region: 'eu-central-1',
          resources: [],
          detail: placed.details!.detail,
        }),
      );
    } finally {
      db.close();
    }
    const run = envelope((await cli(['redrive', '--order', 'rd-int', '--json'], { dir })).stdout);
    expect(run.result.letters).toEqual([expect.objectContaining({ rule: '(not routed)', result: 'redelivered' })]);
    expect(run.result.executions).toEqual([expect.objectContaining({ execution: 2, status: 'SUCCEEDED' })]);
    const entries = await logs('rd-int', 2);
    expect(entries.find((e) => e.type === 'RulesMatched' && e.name === 'OrderPlaced')?.details?.rules).toEqual([
      'authorize-payment',
    ]);
    expect(deadLetters('rd-int')).toEqual([]);
  }, 120_000);

  it('replayed events carry replay-name: a rule matching on it receives replays only', async () => {
    const file = join(dir, 'events.json');
    const flow = JSON.parse(readFileSync(file, 'utf8'));
    flow.rules.push({
      name: 'replayed-invoices',
      description: 'Only replays reach it.',
      pattern: { 'replay-name': [{ exists: true }], 'detail-type': ['WarehouseSelected'] },
      target: 'issue-invoices',
      inputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' },
    });
    writeFileSync(file, JSON.stringify(flow, null, 2));
    expect((await cli(['deploy'], { dir })).exit).toBe(0);
    expect((await send(['--order-id', 'rp-name'])).result.outcome.status).toBe('SUCCEEDED');
    const rulesOf = (entries: LogEntry[]) =>
      entries.filter((e) => e.type === 'DeliverySucceeded').map((e) => e.details?.rule);
    expect(rulesOf(await logs('rp-name', 1))).not.toContain('replayed-invoices');
    const run = envelope((await cli(['replay', '--order', 'rp-name', '--json'], { dir })).stdout);
    expect(run.result.events.find((e: any) => e.detailType === 'WarehouseSelected').rules).toEqual([
      'issue-invoices',
      'replayed-invoices',
    ]);
    expect(rulesOf(await logs('rp-name', 2))).toContain('replayed-invoices');
  }, 180_000);

  it('in orchestration mode both exit 2 with one line naming the equivalent', async () => {
    expect((await cli(['deploy', '--mode', 'orchestration'], { dir })).exit).toBe(0);
    for (const args of [['redrive'], ['replay', '--order', 'rp-1']]) {
      const run = await cli(args, { dir });
      expect(run.exit).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Error: ${args[0]} is an events-mode feature and stage "test" runs orchestration: re-send the order`,
          ),
        ),
      ]);
    }
  }, 180_000);
});
