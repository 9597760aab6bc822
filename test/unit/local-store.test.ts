import { afterAll, describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Recorder } from '../../src/lib/local/recorder.js';
import { StateError } from '../../src/lib/local/state-error.js';
import { LocalStore, type ExecutionRecord } from '../../src/lib/local/store.js';
import { buildOutcome } from '../../src/lib/order/outcome.js';
import { followLog } from '../../src/lib/logs/read.js';
import { tempDir } from '../helpers/cli.js';

const require_ = createRequire(import.meta.url);

describe('LocalStore', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("groups a turn's writes into one commit, and reads an order through its index", () => {
    const store = new LocalStore(tmp.dir, 'unit');
    const recorder = new Recorder(store);
    const claim = store.claimExecution(
      'o-1',
      'orchestration',
      '{"orderId":"o-1"}',
      () => true,
      (record) => recorder.bind(record),
    );
    expect(claim.created).toBe(true);
    recorder.record('o-1', 'execution', 'ExecutionStarted');
    recorder.record('o-2', 'api', 'ApiRequestRejected');
    recorder.flush();
    expect(store.readLog({ orderId: 'o-1' }).map((e) => [e.type, e.execution, e.id])).toEqual([
      ['ExecutionStarted', 1, 1],
    ]);
    expect(store.readLog({ orderId: 'o-2' })).toHaveLength(1);
    store.close();
  });

  it("two stores of one stage in one process (serve's old and new backend): a write never waits on the other's open turn", async () => {
    const previous = new LocalStore(tmp.dir, 'two-stores');
    const next = new LocalStore(tmp.dir, 'two-stores');
    previous.appendLog({ orderId: 'seed', source: 'api', type: 'Seed', id: 1, timestamp: new Date().toISOString() });
    previous.commit();
    // The new backend accepts an order: its turn's write transaction is open until the turn ends ...
    const accepted = next.grouped(() =>
      next.appendLog({ orderId: 'new', source: 'api', type: 'Accepted', id: 1, timestamp: new Date().toISOString() }),
    );
    // ... while the previous backend, still finishing an order, commits in the same turn. Without handing the
    // turn over, SQLite's busy timeout blocks this thread for 10 s and the commit fails as "stayed locked".
    previous.appendLog({
      orderId: 'old',
      source: 'execution',
      type: 'Step',
      id: 1,
      timestamp: new Date().toISOString(),
    });
    const started = Date.now();
    expect(() => previous.commit()).not.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await accepted;
    expect(previous.readLog({ orderId: 'new' }).map((e) => e.type)).toEqual(['Accepted']);
    expect(next.readLog({ orderId: 'old' }).map((e) => e.type)).toEqual(['Step']);
    previous.close();
    next.close();
  });

  it('a background commit that fails (SQLITE_FULL) is reported once as a StateError, never thrown from setImmediate', async () => {
    const store = new LocalStore(tmp.dir, 'unit');
    const faults: StateError[] = [];
    store.onFault = (error) => faults.push(error);
    // What a waiting order listens on: told once, and a listener that unsubscribed is not told.
    const heard: StateError[] = [];
    store.onceFaulted((error) => heard.push(error));
    store.onceFaulted(() => heard.push(new StateError('unsubscribed listener called', [])))();
    const recorder = new Recorder(store);
    recorder.record('o-3', 'api', 'ApiRequestReceived');
    // The disk fills up during this turn's commit.
    store.defer(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(faults).toHaveLength(1);
    expect(faults[0]).toBeInstanceOf(StateError);
    expect(faults[0].message).toMatch(/state\.db: the disk is full/);
    expect(faults[0].exit).toBe(5);
    expect(heard).toEqual([faults[0]]);
    // Subscribing after the fault hears it at once.
    store.onceFaulted((error) => heard.push(error));
    expect(heard).toEqual([faults[0], faults[0]]);
    // The transaction rolled back as a whole: none of that turn's entries is half-written.
    expect(store.readLog({ orderId: 'o-3' })).toEqual([]);
    // Every later write says the same one line.
    expect(() => recorder.record('o-3', 'api', 'ApiRequestReceived')).toThrow(/disk is full/);
    process.exitCode = 0;
    store.close();
  });

  it('followLog keeps one abort listener for the whole loop and removes it when done', async () => {
    const store = new LocalStore(tmp.dir, 'follow');
    const recorder = new Recorder(store);
    recorder.record('f-1', 'api', 'ApiRequestReceived');
    recorder.flush();
    const controller = new AbortController();
    const seen: string[] = [];
    const counts: number[] = [];
    const following = followLog(store, 0, {}, (e) => seen.push(e.type), controller.signal, 2);
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 3));
      counts.push(getEventListeners(controller.signal, 'abort').length);
    }
    recorder.record('f-1', 'api', 'ApiRequestRejected');
    recorder.flush();
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await following;
    expect(Math.max(...counts)).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(seen).toEqual(['ApiRequestReceived', 'ApiRequestRejected']);
    store.close();
  });

  it('ends an execution whose owner process is gone ABORTED, once, when any process opens the stage', () => {
    const store = new LocalStore(tmp.dir, 'recover');
    store.open({ create: true });
    store.close();
    const Database = require_('libsql') as typeof import('libsql');
    const db = new Database(store.dbFile);
    // pid 2^22 + 1 is above Linux's pid_max: never a live process.
    db.prepare(
      "INSERT INTO executions (order_id, execution, mode, status, owner_pid, heartbeat, started_at) VALUES ('r-1', 1, 'events', 'RUNNING', 4194305, ?, ?)",
    ).run(Date.now(), Date.now());
    db.prepare('INSERT INTO inputs (execution_id, input) VALUES (1, \'{"orderId":"r-1"}\')').run();
    db.prepare(
      'INSERT INTO deliveries (execution_id, order_id, rule, event) VALUES (1, \'r-1\', NULL, \'{"detail-type":"OrderPlaced"}\')',
    ).run();
    db.close();
    const reader = new LocalStore(tmp.dir, 'recover');
    expect(reader.readOutcome('r-1')).toMatchObject({
      status: 'ABORTED',
      error: { error: 'Interrupted', cause: 'interrupted: process 4194305 exited' },
    });
    expect(reader.latestExecution('r-1')?.status).toBe('ABORTED');
    expect(reader.queuedDeliveries()).toEqual([]);
    expect(reader.listDeadLetters('r-1')).toEqual([
      expect.objectContaining({ error: 'Interrupted', cause: 'interrupted: process 4194305 exited' }),
    ]);
    expect(reader.recoverInterrupted()).toBe(0);
    reader.close();
  });

  it("packs an ended execution's entries into one row: every read shows the same entries, a follower each once", () => {
    const store = new LocalStore(tmp.dir, 'pack');
    const recorder = new Recorder(store);
    const input = '{"orderId":"p-1","paymentInstrumentType":"creditCard","sellerId":"shop"}';
    recorder.record('p-1', 'api', 'ApiRequestReceived', { name: 'POST /orders', details: { requestId: 'r' } });
    const claim = store.claimExecution(
      'p-1',
      'orchestration',
      input,
      () => true,
      (r) => recorder.bind(r),
    );
    if (!claim.created) throw new Error('not claimed');
    recorder.record('p-1', 'execution', 'ExecutionStarted', { details: { input } });
    recorder.record('p-1', 'execution', 'TaskStateEntered', { name: 'AuthorizePayment', details: { input } });
    recorder.record('other', 'api', 'ApiRequestRejected', { details: { statusCode: 400 } });
    recorder.flush();
    const follower: string[] = [];
    let offset = 0;
    const follow = () => {
      const next = store.readLogFrom(offset);
      offset = next.offset;
      follower.push(...next.entries.map((e) => `${e.orderId} ${e.type}`));
    };
    follow();
    recorder.record('p-1', 'execution', 'ExecutionSucceeded', { details: { output: input } });
    recorder.flush();
    const running = store.readLog({ orderId: 'p-1' });
    const all = store.readLog();
    const outcome = buildOutcome({
      orderId: 'p-1',
      mode: 'orchestration',
      status: 'SUCCEEDED',
      state: JSON.parse(input) as Record<string, unknown>,
      startedAt: claim.record.startDate,
      finishedAt: new Date().toISOString(),
    });
    store.finishExecution(claim.record.id, 'SUCCEEDED', outcome);
    recorder.flush();
    // Packed now: one row of log_packed, none left in log for it.
    const Database = require_('libsql') as typeof import('libsql');
    const db = new Database(store.dbFile);
    const count = (sql: string) => Number(Object.values(db.prepare(sql).get() as object)[0]);
    expect(count('SELECT count(*) FROM log_packed')).toBe(1);
    expect(count(`SELECT count(*) FROM log WHERE execution_id = ${claim.record.id}`)).toBe(0);
    expect(count('SELECT count(*) FROM inputs')).toBe(0);
    db.close();
    expect(store.readLog({ orderId: 'p-1' })).toEqual(running);
    expect(store.readLog({ orderId: 'p-1', execution: 1 })).toEqual(running);
    expect(store.readLog()).toEqual(all);
    expect(store.readLog({ orderId: 'p-1', sources: ['api'] }).map((e) => e.type)).toEqual(['ApiRequestReceived']);
    expect(store.readOutcome('p-1')).toEqual(outcome);
    // An entry after the end (a late handler line) is a row of log again, read in order with the packed ones.
    recorder.record('p-1', 'function', 'FunctionLog', { name: 'notify-customer', details: { message: 'late' } });
    recorder.flush();
    follow();
    expect(follower).toEqual([
      'p-1 ApiRequestReceived',
      'p-1 ExecutionStarted',
      'p-1 TaskStateEntered',
      'other ApiRequestRejected',
      'p-1 ExecutionSucceeded',
      'p-1 FunctionLog',
    ]);
    expect(store.lastLogOffset()).toBe(offset);
    expect(store.readLogFrom(offset).entries).toEqual([]);
    // Released (nothing of it runs any more): the late entry joins the packed row; the reads stay the same.
    const before = store.readLog({ orderId: 'p-1' });
    recorder.release('p-1', claim.record.id);
    recorder.flush();
    const after = new Database(store.dbFile);
    expect(
      Number(Object.values(after.prepare('SELECT count(*) FROM log WHERE execution_id = 1').get() as object)[0]),
    ).toBe(0);
    after.close();
    expect(store.readLog({ orderId: 'p-1' })).toEqual(before);
    expect(store.readLogFrom(0).entries.map((e) => `${e.orderId} ${e.type}`)).toEqual(follower);
    store.close();
  });

  it("keeps a buffered execution's entries in memory: written once with its outcome, followed while it runs", async () => {
    const store = new LocalStore(tmp.dir, 'buffered');
    const recorder = new Recorder(store);
    const recorded: string[] = [];
    recorder.subscribe((e) => recorded.push(`${e.orderId} ${e.type} ${e.id}`));
    const input = '{"orderId":"b-1"}';
    recorder.record('b-1', 'api', 'ApiRequestReceived', { name: 'POST /orders' });
    const record = claimBuffered(store, recorder, 'b-1', input);
    recorder.record('b-1', 'execution', 'ExecutionStarted', { details: { input } });
    recorder.record('b-1', 'execution', 'TaskStateEntered', { name: 'AuthorizePayment', details: { input } });
    recorder.flush();
    // Another process (its own store) following the log: the execution is committed, its entries (the request
    // bound to it at the claim included) are buffered and seen once old.
    const follower = new LocalStore(tmp.dir, 'buffered');
    expect(follower.latestExecution('b-1')).toMatchObject({ id: record.id, status: 'RUNNING', input });
    const followed: string[] = [];
    let offset = 0;
    const follow = () => {
      const next = follower.readLogFrom(offset);
      offset = next.offset;
      followed.push(...next.entries.map((e) => `${e.orderId} ${e.type} ${e.id}`));
    };
    follow();
    expect(followed).toEqual([]);
    const Database = require_('libsql') as typeof import('libsql');
    const db = new Database(store.dbFile);
    const rows = () => Number(Object.values(db.prepare('SELECT count(*) FROM log').get() as object)[0]);
    expect(rows()).toBe(0);
    const deadline = Date.now() + 30_000;
    while (followed.length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      follow();
    }
    expect(followed).toEqual(recorded);
    // Recorded after that: buffered again; a read of the recording store itself sees it at once.
    recorder.record('b-1', 'execution', 'TaskStateExited', { name: 'AuthorizePayment', details: { output: input } });
    expect(store.readLog({ orderId: 'b-1' }).map((e) => `${e.orderId} ${e.type} ${e.id}`)).toEqual(recorded);
    recorder.record('b-1', 'execution', 'ExecutionSucceeded', { details: { output: input } });
    const outcome = buildOutcome({
      orderId: 'b-1',
      mode: 'orchestration',
      status: 'SUCCEEDED',
      state: JSON.parse(input) as Record<string, unknown>,
      startedAt: record.startDate,
      finishedAt: new Date().toISOString(),
    });
    store.finishExecution(record.id, 'SUCCEEDED', outcome);
    recorder.release('b-1', record.id);
    recorder.flush();
    // One packed row, no row of log left; the follower got every entry once, in the order they were recorded.
    expect(rows()).toBe(0);
    expect(Number(Object.values(db.prepare('SELECT count(*) FROM log_packed').get() as object)[0])).toBe(1);
    db.close();
    follow();
    expect(recorded).toHaveLength(5);
    expect(followed).toEqual(recorded);
    expect(follower.readLog({ orderId: 'b-1' }).map((e) => `${e.orderId} ${e.type} ${e.id}`)).toEqual(recorded);
    expect(follower.lastLogOffset()).toBe(offset);
    expect(follower.readOutcome('b-1')).toEqual(outcome);
    follower.close();
    store.close();
  });

  it("extends an execution's pack with what it recorded after its outcome: one row, read the same everywhere", () => {
    const store = new LocalStore(tmp.dir, 'pack-extended');
    const recorder = new Recorder(store);
    const entries = (reader: LocalStore) =>
      reader.readLog({ orderId: 'x-1' }).map((e) => [e.type, e.name, e.id, e.details, e.timestamp]);
    const record = claimBuffered(store, recorder, 'x-1', '{"orderId":"x-1"}');
    // Enough text that the window is trimmed to deflate's 32 KB, so the continued part must reach back into it.
    const state = { orderId: 'x-1', lines: Array.from({ length: 400 }, (_, i) => `line ${i} of the order state`) };
    for (let i = 0; i < 5; i++) recorder.record('x-1', 'events', 'EventPublished', { name: `E${i}`, details: state });
    const outcome = buildOutcome({
      orderId: 'x-1',
      mode: 'events',
      status: 'SUCCEEDED',
      state,
      startedAt: record.startDate,
      finishedAt: new Date().toISOString(),
    });
    store.finishExecution(record.id, 'SUCCEEDED', outcome);
    recorder.flush();
    const atOutcome = entries(new LocalStore(tmp.dir, 'pack-extended'));
    expect(atOutcome).toHaveLength(5);
    // After the outcome: buffered entries, and a row of log (another writer's entry of the same execution).
    recorder.record('x-1', 'events', 'RulesMatched', { name: 'E4', details: { rules: [] } });
    store.appendLog(
      {
        orderId: 'x-1',
        execution: 1,
        source: 'function',
        type: 'FunctionLog',
        id: 1,
        timestamp: new Date().toISOString(),
      },
      () => record.id,
    );
    recorder.flush();
    recorder.record('x-1', 'events', 'DeliverySucceeded', { name: 'E3', details: { result: state } });
    recorder.release('x-1', record.id);
    recorder.flush();
    const Database = require_('libsql') as typeof import('libsql');
    const db = new Database(store.dbFile);
    const count = (sql: string) => Number(Object.values(db.prepare(sql).get() as object)[0]);
    expect(count('SELECT count(*) FROM log')).toBe(0);
    expect(count('SELECT count(*) FROM log_packed')).toBe(1);
    const released = entries(store);
    expect(released.slice(0, 5)).toEqual(atOutcome);
    // Buffered entries are numbered when they are packed, after the rows written before (see packLog).
    expect(released.slice(5).map(([type]) => type)).toEqual(['FunctionLog', 'RulesMatched', 'DeliverySucceeded']);
    expect(entries(new LocalStore(tmp.dir, 'pack-extended'))).toEqual(released);
    // Released, its pack is no longer kept here: one more late entry is packed the long way, reading it back.
    recorder.bind(record);
    recorder.record('x-1', 'function', 'FunctionLog', { name: 'late', details: { message: 'late' } });
    recorder.release('x-1', record.id);
    recorder.flush();
    expect(count('SELECT count(*) FROM log')).toBe(0);
    db.close();
    const last = entries(new LocalStore(tmp.dir, 'pack-extended'));
    expect(last.slice(0, 8)).toEqual(released);
    expect(last.slice(8).map(([type, name]) => [type, name])).toEqual([['FunctionLog', 'late']]);
    expect(new LocalStore(tmp.dir, 'pack-extended').readOutcome('x-1')).toEqual(outcome);
    store.close();
  });

  it('a buffered execution that records many entries (a loop) writes them as rows in the same turn: flat memory', async () => {
    const store = new LocalStore(tmp.dir, 'buffered-many');
    const recorder = new Recorder(store);
    claimBuffered(store, recorder, 'm-1', '{"orderId":"m-1"}');
    for (let i = 0; i < 300; i++) recorder.record('m-1', 'execution', 'PassStateEntered', { name: `Again${i}` });
    await new Promise((resolve) => setImmediate(resolve));
    const follower = new LocalStore(tmp.dir, 'buffered-many');
    const ids = follower.readLog({ orderId: 'm-1' }).map((e) => e.id);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    follower.close();
    store.close();
  });

  it("writes a turn's deliveries together, deletes its finished ones together, never writes one finished in its turn", () => {
    const store = new LocalStore(tmp.dir, 'deliveries');
    const claim = store.claimExecution('d-1', 'events', '{"orderId":"d-1"}', () => true);
    if (!claim.created) throw new Error('not claimed');
    const execution = claim.record.id;
    const changes = () => Number((store.open().prepare('SELECT total_changes() AS n').get() as { n: number }).n);
    // 35 events of two rules each: 70 rows, more than one statement's 64.
    const handles = Array.from({ length: 35 }, (_, i) =>
      store.enqueueDeliveries(execution, 'd-1', ['rule-a', 'rule-b'], { 'detail-type': `Event${i}` }),
    ).flat();
    const other = new LocalStore(tmp.dir, 'deliveries');
    expect(other.queuedDeliveries(execution)).toEqual([]); // queued, not committed yet
    store.commit();
    const rows = other.queuedDeliveries(execution);
    expect(rows.map((d) => [d.id, d.rule, d.event['detail-type']])).toEqual(
      handles.map((handle, i) => [handle.id, i % 2 === 0 ? 'rule-a' : 'rule-b', `Event${Math.floor(i / 2)}`]),
    );
    // Every other delivery ends; so does one queued in this same turn, which is never written at all.
    for (const handle of handles.filter((_, i) => i % 2 === 0)) store.completeDelivery(handle);
    const before = changes();
    const [quick] = store.enqueueDeliveries(execution, 'd-1', ['rule-a'], { 'detail-type': 'Quick' });
    store.completeDelivery(quick);
    store.commit();
    expect(changes() - before).toBe(35);
    expect(quick.id).toBeUndefined();
    expect(other.queuedDeliveries(execution).map((d) => d.id)).toEqual(
      handles.filter((_, i) => i % 2 === 1).map((handle) => handle.id),
    );
    other.close();
    store.close();
  });

  it('an execution interrupted while its entries are buffered: the interruption is numbered after them', () => {
    const store = new LocalStore(tmp.dir, 'buffered-interrupt');
    const recorder = new Recorder(store);
    claimBuffered(store, recorder, 'i-1', '{"orderId":"i-1"}');
    recorder.record('i-1', 'execution', 'ExecutionStarted');
    recorder.record('i-1', 'execution', 'TaskStateEntered', { name: 'AuthorizePayment' });
    expect(store.interruptLatest('i-1', 'interrupted: the local backend stopped')).toBe(true);
    store.close();
    const reader = new LocalStore(tmp.dir, 'buffered-interrupt');
    expect(reader.readLog({ orderId: 'i-1' }).map((e) => `${e.type} ${e.id}`)).toEqual([
      'ExecutionStarted 1',
      'TaskStateEntered 2',
      'ExecutionAborted 3',
    ]);
    expect(reader.readOutcome('i-1')).toMatchObject({ status: 'ABORTED' });
    reader.close();
  });

  it('refuses a state.db of an older schema with one line and exit 5; deploy (repair) keeps it aside', () => {
    const store = new LocalStore(tmp.dir, 'old');
    store.open({ create: true });
    store.close();
    const Database = require_('libsql') as typeof import('libsql');
    const db = new Database(store.dbFile);
    db.prepare("UPDATE meta SET value = '1' WHERE key = 'schema'").run();
    db.close();
    const reader = new LocalStore(tmp.dir, 'old');
    let error: unknown;
    try {
      reader.readDeployment();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).exit).toBe(5);
    expect((error as StateError).message).toMatch(/state\.db has state schema 1; this fulfill uses \d+$/);
    expect((error as StateError).suggestions).toEqual(['Run `fulfill deploy --stage old` to record the stage again.']);
    const deployer = new LocalStore(tmp.dir, 'old');
    expect(deployer.readDeployment({ repair: true })).toBeUndefined();
    deployer.close();
    expect(readdirSync(deployer.dir).filter((f) => /^state\.db\.schema-1-\d+$/.test(f))).toHaveLength(1);
  });
});

/** A running orchestration execution of `orderId` whose entries the store buffers (see LocalStore.bufferLog). */
function claimBuffered(store: LocalStore, recorder: Recorder, orderId: string, input: string): ExecutionRecord {
  const claim = store.claimExecution(
    orderId,
    'orchestration',
    input,
    () => true,
    (r) => recorder.bind(r, { buffered: true }),
  );
  if (!claim.created) throw new Error('not claimed');
  return claim.record;
}
