import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LOCAL_ACCOUNT_ID, naming } from '../../src/lib/blueprint/naming.js';
import type { AslDefinition } from '../../src/lib/blueprint/workflow.js';
import { fastClock, onClock, realClock } from '../../src/lib/local/clock.js';
import type { LocalLambda } from '../../src/lib/local/lambda.js';
import { LocalStepFunctions } from '../../src/lib/local/orchestration.js';
import { Recorder } from '../../src/lib/local/recorder.js';
import { LocalStore } from '../../src/lib/local/store.js';
import type { LogEntry } from '../../src/lib/logs/entry.js';
import { FunctionError } from '../../src/lib/runtime/lambda-error.js';
import { tempDir } from '../helpers/cli.js';

// The orchestration engine in process: small definitions on aws-local-stepfunctions, a scripted Lambda instead of
// worker threads, the real store and recorder in a temporary folder.
const names = naming('shop', 'unit', 'eu-central-1', LOCAL_ACCOUNT_ID);
const fail = (errorType: string) =>
  new FunctionError({ errorType, errorMessage: `${errorType} (scripted)`, trace: [] });

/** A Lambda that answers each invocation of a handler with the next scripted result (the last one repeats). */
function scriptedLambda(script: Record<string, Array<FunctionError | Record<string, unknown>>>) {
  const invocations: Array<{ handler: string; input: unknown }> = [];
  const lambda = {
    invoke: (handler: string, input: unknown) => {
      const results = script[handler] ?? [{}];
      const result = results[Math.min(invocations.filter((i) => i.handler === handler).length, results.length - 1)];
      invocations.push({ handler, input });
      return result instanceof FunctionError ? Promise.reject(result) : Promise.resolve({ ...result });
    },
  } as unknown as LocalLambda;
  return { lambda, invocations };
}

describe('local Step Functions engine', () => {
  const tmp = tempDir('fulfill-sfn-');
  let store: LocalStore;
  let recorder: Recorder;
  const entries: LogEntry[] = [];
  const of = (orderId: string) => entries.filter((e) => e.orderId === orderId);
  const historyOf = (orderId: string) => of(orderId).map((e) => `${e.type}${e.name ? ` ${e.name}` : ''}`);

  beforeAll(() => {
    store = new LocalStore(tmp.dir, 'unit');
    recorder = new Recorder(store);
    recorder.subscribe((entry) => entries.push(entry));
  });
  afterAll(() => {
    store.close();
    tmp.cleanup();
  });

  const engine = (definition: AslDefinition, lambda: LocalLambda, clock = fastClock(1_000_000)) =>
    LocalStepFunctions.create(
      definition,
      new Map(
        Object.entries(definition.States)
          .filter(([, s]) => s.Type === 'Task')
          .map(([name, s]) => [name, String(s.Resource)]),
      ),
      names,
      lambda,
      store,
      recorder,
      clock,
    );
  /** The outcome once it is committed (the store commits a turn's writes together, after the turn). */
  const ended = async (sfn: LocalStepFunctions, orderId: string) => {
    const outcome = await sfn.outcome(orderId);
    await new Promise((resolve) => setImmediate(resolve));
    return outcome;
  };
  /** One Task, `Work` (handler `work`), retried as `retrier` says. */
  const retriedWork = (retrier: Record<string, unknown>): AslDefinition => ({
    StartAt: 'Work',
    States: { Work: { Type: 'Task', Resource: 'work', Retry: [retrier], End: true } },
  });
  const start = (sfn: LocalStepFunctions, orderId: string, input: unknown = { orderId }) =>
    sfn.startExecution({ stateMachineArn: names.stateMachineArn(), name: orderId, input: JSON.stringify(input) });

  it("retries a Task on the clock's time: an hour's Retry intervals pass at once on a fast clock", async () => {
    const { lambda, invocations } = scriptedLambda({
      work: [fail('Lambda.ServiceException'), fail('Lambda.ServiceException'), fail('Lambda.ServiceException'), {}],
    });
    // On the real clock these intervals (1 h, 2 h, 4 h) would run into the test's timeout.
    const sfn = await engine(
      retriedWork({ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 3600, MaxAttempts: 3, BackoffRate: 2 }),
      lambda,
    );
    start(sfn, 'retried');
    const outcome = await ended(sfn, 'retried');
    expect(outcome?.status).toBe('SUCCEEDED');
    expect(invocations.map((i) => i.handler)).toEqual(['work', 'work', 'work', 'work']);
    expect(historyOf('retried').filter((t) => t.startsWith('Lambda'))).toEqual([
      ...Array(3)
        .fill(['LambdaFunctionScheduled Work', 'LambdaFunctionStarted Work', 'LambdaFunctionFailed Work'])
        .flat(),
      'LambdaFunctionScheduled Work',
      'LambdaFunctionStarted Work',
      'LambdaFunctionSucceeded Work',
    ]);
  }, 20_000);

  it("stops retrying after MaxAttempts: the execution fails with the Task's error", async () => {
    const { lambda, invocations } = scriptedLambda({ work: [fail('Lambda.ServiceException')] });
    const sfn = await engine(
      retriedWork({ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 60, MaxAttempts: 2 }),
      lambda,
    );
    start(sfn, 'exhausted');
    const outcome = await ended(sfn, 'exhausted');
    expect(outcome).toMatchObject({ status: 'FAILED', error: { error: 'Lambda.ServiceException' } });
    expect(invocations).toHaveLength(3);
    expect(historyOf('exhausted').at(-1)).toBe('ExecutionFailed');
  }, 20_000);

  it('a Catch takes the error path: an error no retrier lists is caught once and the state input keeps it', async () => {
    const { lambda, invocations } = scriptedLambda({
      pay: [fail('PaymentAuthorizationFailed')],
      notify: [{ notified: true }],
    });
    const sfn = await engine(
      {
        StartAt: 'Pay',
        States: {
          Pay: {
            Type: 'Task',
            Resource: 'pay',
            Retry: [{ ErrorEquals: ['Lambda.ServiceException'], MaxAttempts: 3 }],
            Catch: [{ ErrorEquals: ['PaymentAuthorizationFailed'], ResultPath: '$.error', Next: 'Notify' }],
            Next: 'Done',
          },
          Notify: { Type: 'Task', Resource: 'notify', ResultPath: null, Next: 'Declined' },
          Declined: { Type: 'Fail', Error: 'PaymentDeclined', Cause: 'the payment was not authorized' },
          Done: { Type: 'Succeed' },
        },
      },
      lambda,
    );
    start(sfn, 'caught', { orderId: 'caught', amount: 10 });
    const outcome = await ended(sfn, 'caught');
    expect(outcome).toMatchObject({
      status: 'FAILED',
      error: { error: 'PaymentDeclined', cause: 'the payment was not authorized' },
    });
    expect(invocations.map((i) => i.handler)).toEqual(['pay', 'notify']);
    // The Catch's ResultPath: the next state gets the input plus the error.
    expect(invocations[1].input).toMatchObject({
      orderId: 'caught',
      amount: 10,
      error: { Error: 'PaymentAuthorizationFailed' },
    });
    expect(historyOf('caught')).toEqual(
      expect.arrayContaining(['LambdaFunctionFailed Pay', 'TaskStateEntered Notify', 'FailStateEntered Declined']),
    );
    expect(historyOf('caught')).not.toContain('SucceedStateEntered Done');
    // Committed with its history: the store has the same outcome.
    const latest = store.latestExecution('caught')!;
    expect(store.readExecutionOutcome(latest.id)).toMatchObject({ status: 'FAILED' });
  });

  it("a function's timeout is recorded as LambdaFunctionTimedOut and fails the execution with Sandbox.Timedout", async () => {
    const { lambda } = scriptedLambda({ slow: [fail('Sandbox.Timedout')] });
    const sfn = await engine(
      { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: 'slow', End: true } } },
      lambda,
    );
    start(sfn, 'timed-out');
    expect(await ended(sfn, 'timed-out')).toMatchObject({ status: 'FAILED', error: { error: 'Sandbox.Timedout' } });
    expect(historyOf('timed-out')).toContain('LambdaFunctionTimedOut Slow');
  });

  it('StartExecution: unknown state machine, input that is not JSON, and the idempotency of a name', async () => {
    let release!: () => void;
    const gate = new Promise<Record<string, unknown>>((resolve) => (release = () => resolve({})));
    const lambda = { invoke: () => gate } as unknown as LocalLambda;
    const sfn = await engine({ StartAt: 'Wait', States: { Wait: { Type: 'Task', Resource: 'w', End: true } } }, lambda);
    expect(() =>
      sfn.startExecution({ stateMachineArn: `${names.stateMachineArn()}x`, name: 'a', input: '{}' }),
    ).toThrow(expect.objectContaining({ name: 'StateMachineDoesNotExist' }));
    expect(() => sfn.startExecution({ stateMachineArn: names.stateMachineArn(), name: 'a', input: '{' })).toThrow(
      expect.objectContaining({ name: 'InvalidExecutionInput' }),
    );
    const first = start(sfn, 'same');
    // While it runs, the same name and input return the running execution; other input is refused.
    expect(start(sfn, 'same')).toEqual(first);
    expect(() => start(sfn, 'same', { orderId: 'same', other: true })).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
    expect(sfn.inFlight()).toEqual(['same']);
    release();
    expect((await ended(sfn, 'same'))?.status).toBe('SUCCEEDED');
    expect(() => start(sfn, 'same')).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    expect(of('same').filter((e) => e.type === 'ExecutionStarted')).toHaveLength(1);
  });

  it('abortAll ends a running execution ABORTED, not waiting for its Task', async () => {
    let release!: () => void;
    const gate = new Promise((resolve) => (release = () => resolve({})));
    const lambda = { invoke: () => gate } as unknown as LocalLambda;
    const sfn = await engine({ StartAt: 'Hang', States: { Hang: { Type: 'Task', Resource: 'h', End: true } } }, lambda);
    start(sfn, 'aborted');
    await new Promise((resolve) => setImmediate(resolve));
    sfn.abortAll();
    expect((await ended(sfn, 'aborted'))?.status).toBe('ABORTED');
    expect(sfn.inFlight()).toEqual([]);
    release();
  });
});

describe('onClock: the definition aws-local-stepfunctions runs for a clock', () => {
  const definition: AslDefinition = {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: 'work',
        Retry: [
          { ErrorEquals: ['A'], IntervalSeconds: 2, MaxDelaySeconds: 10, BackoffRate: 3, JitterStrategy: 'FULL' },
          { ErrorEquals: ['B'] },
        ],
        Next: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: 30, Next: 'Until' },
      Until: { Type: 'Wait', Timestamp: '2030-01-01T00:00:00Z', Next: 'Both' },
      Both: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 5, End: true } } }],
        Next: 'Each',
      },
      Each: {
        Type: 'Map',
        ItemProcessor: {
          StartAt: 'T',
          States: {
            T: { Type: 'Task', Resource: 't', Retry: [{ ErrorEquals: ['C'], IntervalSeconds: 4 }], End: true },
          },
        },
        End: true,
      },
    },
  };

  it('is the definition itself on the real clock', () => {
    expect(onClock(definition, realClock)).toBe(definition);
  });

  it('divides Retry intervals, their maximum delay and Wait seconds by the speed, nested states too', () => {
    const scaled = onClock(definition, fastClock(100));
    const states = scaled.States as Record<string, any>;
    // BackoffRate and the jitter strategy stay as written: the back-off is the same curve, 100 times faster.
    expect(states.Work.Retry).toEqual([
      { ErrorEquals: ['A'], IntervalSeconds: 0.02, MaxDelaySeconds: 0.1, BackoffRate: 3, JitterStrategy: 'FULL' },
      { ErrorEquals: ['B'], IntervalSeconds: 0.01 },
    ]);
    expect(states.Pause.Seconds).toBe(0.3);
    // A Wait until a moment cannot run faster: left as it is.
    expect(states.Until).toEqual(definition.States.Until);
    expect(states.Both.Branches[0].States.W.Seconds).toBe(0.05);
    expect(states.Each.ItemProcessor.States.T.Retry[0].IntervalSeconds).toBe(0.04);
    // The recorded definition is not changed.
    expect(definition.States.Pause.Seconds).toBe(30);
  });

  it('refuses a clock that does not run', () => {
    expect(() => fastClock(0)).toThrow(RangeError);
    expect(() => fastClock(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
