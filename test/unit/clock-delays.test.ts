import { afterAll, describe, expect, it } from '@jest/globals';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { LOCAL_ACCOUNT_ID, naming } from '../../src/lib/blueprint/naming.js';
import { LocalEventBus } from '../../src/lib/local/bus.js';
import type { Clock } from '../../src/lib/local/clock.js';
import type { LocalRuntimeSpec } from '../../src/lib/local/deploy.js';
import { parseFaults, withHandlerFaults } from '../../src/lib/local/faults.js';
import type { LocalLambda } from '../../src/lib/local/lambda.js';
import { Recorder } from '../../src/lib/local/recorder.js';
import { LocalStore } from '../../src/lib/local/store.js';
import type { LogEntry } from '../../src/lib/logs/entry.js';
import { FunctionError } from '../../src/lib/runtime/lambda-error.js';
import { tempDir, templateProject } from '../helpers/cli.js';
import { placeOrder } from '../helpers/bus.js';

/** A clock that records every delay asked of it and lets it pass at once (on the next turn). */
function recordingClock() {
  const delays: number[] = [];
  const clock: Clock = {
    speed: 1,
    sleep: (ms) => {
      delays.push(ms);
      return new Promise((resolve) => setImmediate(resolve));
    },
    setTimer: (callback, ms) => {
      delays.push(ms);
      setImmediate(callback);
    },
  };
  return { clock, delays };
}

// The delays the engines take from their clock (LocalBackendOptions.clock): the bus's retry back-off, an injected
// event delay, injected handler delays and timeouts. Functions' own timeouts are real time and not tested here.
describe("the engines' delays come from the clock", () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events', functions: { timeoutSeconds: 3, memoryMb: 256 } });
  const blueprint = loadBlueprint(tmp.dir);
  const names = naming('test-shop', 'test', 'eu-central-1', LOCAL_ACCOUNT_ID);
  const { file: _file, ...events } = blueprint.events!;
  const deployment = {
    mode: 'events',
    stage: 'test',
    events,
    functions: blueprint.handlers.map((h) => ({ name: h.name })),
    functionsConfig: { timeoutSeconds: 3 },
  } as unknown as LocalRuntimeSpec;
  const store = new LocalStore(tmp.dir, 'test');
  const recorder = new Recorder(store);
  const entries: LogEntry[] = [];
  recorder.subscribe((e) => entries.push(e));
  afterAll(() => {
    store.close();
    tmp.cleanup();
  });
  const placed = (orderId: string) => placeOrder(bus, store, names.busName(), events, orderId);
  let bus: LocalEventBus;

  it('a failing delivery is retried after 100 ms, then 200 ms, then dead-lettered (maximumRetryAttempts 2)', async () => {
    const { clock, delays } = recordingClock();
    bus = new LocalEventBus(deployment, names, store, recorder, clock);
    const attempts: string[] = [];
    bus.attach({
      invoke: (name: string) => {
        attempts.push(name);
        return Promise.reject(
          new FunctionError({ errorType: 'Lambda.ServiceException', errorMessage: 'down', trace: [] }),
        );
      },
    } as unknown as LocalLambda);
    await placed('retried');
    await bus.idle();
    await bus.close();
    expect(attempts).toEqual(['authorize-payment', 'authorize-payment', 'authorize-payment']);
    expect(delays).toEqual([100, 200]);
    const of = entries.filter((e) => e.orderId === 'retried');
    expect(of.filter((e) => e.type === 'DeliveryFailed').map((e) => e.details?.attempt)).toEqual([1, 2, 3]);
    expect(of.some((e) => e.type === 'DeadLettered')).toBe(true);
  });

  it('an injected event delay is a timer on the clock; handler delays and timeouts sleep on it', async () => {
    const { clock, delays } = recordingClock();
    bus = new LocalEventBus(deployment, names, store, recorder, clock);
    bus.faults = () => ({ copies: 1, delayMs: 300 });
    const invoked: string[] = [];
    const lambda = {
      invoke: (name: string) => {
        invoked.push(name);
        return Promise.resolve({ ok: true });
      },
    } as unknown as LocalLambda;
    const faulty = withHandlerFaults(
      lambda,
      parseFaults(['authorize-payment:delay:1500ms', 'notify-customer:timeout']),
      { deployment, recorder, clock },
    );
    bus.attach(lambda);
    await placed('late');
    await bus.idle();
    await bus.close();
    expect(delays).toEqual([300]);
    expect(invoked).toEqual(['authorize-payment']);

    // The fault decorator: a delay under the function's timeout sleeps it, then runs; a timeout sleeps the timeout.
    delays.length = 0;
    await expect(faulty.invoke('authorize-payment', {}, { orderId: 'f-1' })).resolves.toEqual({ ok: true });
    await expect(faulty.invoke('notify-customer', {}, { orderId: 'f-1' })).rejects.toMatchObject({
      name: 'Sandbox.Timedout',
    });
    expect(delays).toEqual([1500, 3000]);
  });
});
