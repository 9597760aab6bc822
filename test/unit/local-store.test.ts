import { afterAll, describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { createRequire } from 'node:module';
import { Recorder } from '../../src/lib/local/recorder.js';
import { StateError } from '../../src/lib/local/state-error.js';
import { LocalStore } from '../../src/lib/local/store.js';
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

  it('a background commit that fails (SQLITE_FULL) is reported once as a StateError, never thrown from setImmediate', async () => {
    const store = new LocalStore(tmp.dir, 'unit');
    const faults: StateError[] = [];
    store.onFault = (error) => faults.push(error);
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
      "INSERT INTO executions (order_id, execution, mode, input, status, owner_pid, heartbeat, started_at) VALUES ('r-1', 1, 'events', '{\"orderId\":\"r-1\"}', 'RUNNING', 4194305, ?, ?)",
    ).run(Date.now(), Date.now());
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
});
