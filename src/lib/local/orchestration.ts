import './polyfill.js';
import type { StateMachine as StateMachineType } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../blueprint/workflow.js';
import type { Naming } from '../blueprint/naming.js';
import { buildOutcome, type OrderOutcome } from '../order/outcome.js';
import { FunctionError } from '../runtime/lambda-error.js';
import { LocalServiceError } from './aws-errors.js';
import { onClock, realClock, type Clock } from './clock.js';
import type { LocalLambda } from './lambda.js';
import { LoopGuard, type LoopFailure } from './loop-guard.js';
import type { Recorder } from './recorder.js';
import type { ExecutionRecord, LocalStore } from './store.js';
import { text } from '../json.js';

export interface StartExecutionRequest {
  stateMachineArn: string;
  name: string;
  input: string;
}

/** As on the wire (AWS JSON 1.0 protocol): startDate is epoch seconds. */
export interface StartExecutionResponse {
  executionArn: string;
  startDate: number;
}

type LibEvent = {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
};

/**
 * The orchestration mode on the local target: Step Functions' StartExecution semantics around
 * aws-local-stepfunctions, which runs the real ASL (Choice, Retry, Catch, ...) with every Task calling the
 * handler bundle in the local Lambda runtime. History is recorded with GetExecutionHistory's event types.
 */
export class LocalStepFunctions {
  private readonly running = new Map<string, Promise<OrderOutcome>>();
  private readonly aborts = new Map<string, () => void>();
  private readonly loops = new LoopGuard();

  private constructor(
    private readonly machine: StateMachineType,
    private readonly tasks: ReadonlyMap<string, string>,
    private readonly names: Naming,
    private readonly lambda: LocalLambda,
    private readonly store: LocalStore,
    private readonly recorder: Recorder,
  ) {}

  /**
   * Builds the state machine once and reuses it for every execution. The definition is the one `deploy`
   * validated with asl-validator (checkArn, checkPaths) and recorded: validating it again here would compile
   * asl-validator's ajv schemas in every process (~0.5 s of CPU, the largest part of a single send-order).
   */
  static async create(
    definition: AslDefinition,
    tasks: ReadonlyMap<string, string>,
    names: Naming,
    lambda: LocalLambda,
    store: LocalStore,
    recorder: Recorder,
    clock: Clock = realClock,
  ): Promise<LocalStepFunctions> {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const machine = new StateMachine(onClock(definition, clock) as never, { validationOptions: { noValidate: true } });
    return new LocalStepFunctions(machine, tasks, names, lambda, store, recorder);
  }

  /** StartExecution, with its idempotency: same name and input while running returns the running execution. */
  startExecution(request: StartExecutionRequest): StartExecutionResponse {
    if (request.stateMachineArn !== this.names.stateMachineArn()) {
      throw new LocalServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(request.input);
    } catch {
      throw new LocalServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input must be JSON');
    }
    const executionArn = this.names.executionArn(request.name);
    // StartExecution per name: a RUNNING execution with the same input is returned, a finished one refuses
    // (ExecutionAlreadyExists); after an ABORTED one (stopped, or interrupted by a crash) the name starts again.
    const claim = this.store.claimExecution(
      request.name,
      'orchestration',
      request.input,
      (latest) => !latest || latest.status === 'ABORTED',
      (record) => this.recorder.bind(record, { buffered: true }),
    );
    if (!claim.created) {
      const existing = claim.existing;
      if (existing.status === 'RUNNING' && existing.input === request.input)
        return { executionArn, startDate: Date.parse(existing.startDate) / 1000 };
      throw new LocalServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record = claim.record;
    const outcome = this.run(record, executionArn, input);
    // A run the store cannot record (its fault: a full disk) rejects for whoever waits on this order's outcome;
    // left unhandled, the rejection would end the process with a stack trace instead of the store's exit 5.
    outcome.catch(() => undefined);
    this.running.set(request.name, outcome);
    return { executionArn, startDate: Date.parse(record.startDate) / 1000 };
  }

  /** StopExecution for everything still running (forced shutdown): each ends ABORTED instead of retrying on. */
  abortAll(): void {
    for (const abort of this.aborts.values()) abort();
  }

  /** The orders whose execution this engine is running now (not yet ended). */
  inFlight(): string[] {
    return [...this.aborts.keys()];
  }

  /** The outcome of an execution this process started, when it ends. */
  outcome(orderId: string): Promise<OrderOutcome> | undefined {
    return this.running.get(orderId);
  }

  private async run(record: ExecutionRecord, executionArn: string, input: unknown): Promise<OrderOutcome> {
    const orderId = record.orderId;
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, handler] of this.tasks) {
      handlers[stateName] = (taskInput) => this.invokeTask(orderId, stateName, handler, taskInput);
    }
    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Id: executionArn, Name: orderId, StartTime: record.startDate, Input: input as never } },
    });
    this.aborts.set(orderId, execution.abort);
    let failure: { Error: string; Cause: string } | undefined;
    // The order state as far as the execution got: a failed outcome reports what the steps before it added.
    let latest: unknown = input;
    let loop: LoopFailure | undefined;
    let stopped = false;
    const history = (async () => {
      for await (let event of execution.eventLogs as AsyncGenerator<LibEvent>) {
        if (event.type === 'ExecutionFailed') failure = { Error: String(event.Error), Cause: text(event.Cause ?? '') };
        latest = latestState(latest, event);
        // Stopped by the guard: the history ends with ExecutionFailed naming the loop, as on AWS.
        // Events the engine queued before it saw the abort are past the limit: only the final one is recorded.
        if (loop && event.type === 'ExecutionAborted')
          event = { type: 'ExecutionFailed', timestamp: event.timestamp, ...loop };
        else if (loop) continue;
        this.recordLibEvent(orderId, executionArn, event);
        loop ??= this.loops.historyEvent(
          orderId,
          event.state?.name,
          event.type === 'StateEntered' && event.state?.type === 'Task' ? 4 : 1,
        );
        if (loop && !stopped) {
          stopped = true;
          execution.abort();
        }
      }
    })();
    // Awaited below, after the result: a rejection before that (the store's fault, recording an entry on a full
    // disk) must not count as unhandled meanwhile, which would end the process with a stack trace.
    history.catch(() => undefined);
    let output: unknown;
    let status: OrderOutcome['status'] = 'SUCCEEDED';
    try {
      output = await execution.result;
    } catch (error) {
      status =
        (error as Error).name === 'ExecutionTimeoutError'
          ? 'TIMED_OUT'
          : (error as Error).name === 'ExecutionAbortedError'
            ? 'ABORTED'
            : 'FAILED';
    }
    await history;
    this.aborts.delete(orderId);
    this.loops.forget(orderId);
    if (loop) {
      status = 'FAILED';
      failure = loop;
    }
    // Aborted at shutdown: the backend already recorded why (interrupted); keep that record.
    const recorded = status === 'ABORTED' ? this.store.readExecutionOutcome(record.id) : undefined;
    if (recorded) return this.settle(record, recorded);
    const finishedAt = new Date().toISOString();
    const outcome = buildOutcome({
      orderId,
      mode: 'orchestration',
      status,
      state: (status === 'SUCCEEDED' ? output : latest) as Record<string, unknown>,
      failure:
        status === 'SUCCEEDED'
          ? undefined
          : (failure ?? {
              Error:
                status === 'TIMED_OUT'
                  ? 'States.Timeout'
                  : status === 'ABORTED'
                    ? 'ExecutionAborted'
                    : 'States.Runtime',
              Cause: `the execution ended ${status}`,
            }),
      startedAt: record.startDate,
      finishedAt,
    });
    // Queued with this turn's log entries: the history and the outcome commit together.
    this.store.finishExecution(record.id, status, outcome);
    return this.settle(record, outcome);
  }

  private settle(record: ExecutionRecord, outcome: OrderOutcome): OrderOutcome {
    this.recorder.release(record.orderId, record.id);
    // Kept a while for waiters that ask right after the API answered; then the store answers (flat memory).
    const promise = this.running.get(record.orderId);
    setTimeout(() => {
      if (this.running.get(record.orderId) === promise) this.running.delete(record.orderId);
    }, 10_000).unref();
    return outcome;
  }

  private async invokeTask(orderId: string, stateName: string, handler: string, input: unknown): Promise<unknown> {
    // Let the history consumer drain the library's queued StateEntered before this Task's own events.
    await new Promise((resolve) => setImmediate(resolve));
    const resource = this.names.functionArn(handler);
    // The history's JSON of the input and output is also what crosses to and from the function's environment.
    const inputJson = JSON.stringify(input);
    this.recorder.record(orderId, 'execution', 'LambdaFunctionScheduled', {
      name: stateName,
      details: { resource, input: inputJson },
    });
    this.recorder.record(orderId, 'execution', 'LambdaFunctionStarted', { name: stateName });
    const started = Date.now();
    let outputJson: string | undefined;
    try {
      const output = await this.lambda.invoke(handler, input, {
        orderId,
        eventJson: inputJson,
        onResultJson: (json) => (outputJson = json),
      });
      this.recorder.record(orderId, 'execution', 'LambdaFunctionSucceeded', {
        name: stateName,
        // An injected fault's result did not come from an environment: serialized here.
        details: { output: outputJson ?? JSON.stringify(output), durationMs: Date.now() - started },
      });
      return output;
    } catch (error) {
      const payload =
        error instanceof FunctionError
          ? error.payload
          : { errorType: 'Lambda.Unknown', errorMessage: String(error), trace: [] };
      const type = payload.errorType === 'Sandbox.Timedout' ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed';
      this.recorder.record(orderId, 'execution', type, {
        name: stateName,
        details: { error: payload.errorType, cause: (error as Error).message, durationMs: Date.now() - started },
      });
      throw error;
    }
  }

  private recordLibEvent(orderId: string, executionArn: string, event: LibEvent) {
    const timestamp = event.timestamp;
    switch (event.type) {
      case 'ExecutionStarted':
        this.recorder.record(orderId, 'execution', 'ExecutionStarted', {
          timestamp,
          details: { executionArn, input: JSON.stringify(event.input) },
        });
        return;
      case 'ExecutionSucceeded':
        this.recorder.record(orderId, 'execution', 'ExecutionSucceeded', {
          timestamp,
          details: { output: JSON.stringify(event.output) },
        });
        return;
      case 'ExecutionFailed':
        this.recorder.record(orderId, 'execution', 'ExecutionFailed', {
          timestamp,
          details: { error: event.Error, cause: text(event.Cause ?? '') },
        });
        return;
      case 'ExecutionAborted':
        this.recorder.record(orderId, 'execution', 'ExecutionAborted', { timestamp });
        return;
      case 'ExecutionTimeout':
        this.recorder.record(orderId, 'execution', 'ExecutionTimedOut', { timestamp });
        return;
      case 'StateEntered':
        this.recorder.record(orderId, 'execution', `${event.state!.type}StateEntered`, {
          timestamp,
          name: event.state!.name,
          details: { input: JSON.stringify(event.state!.input) },
        });
        return;
      case 'StateExited':
        this.recorder.record(orderId, 'execution', `${event.state!.type}StateExited`, {
          timestamp,
          name: event.state!.name,
          details: { output: JSON.stringify(event.state!.output) },
        });
        return;
      default:
        // StateFailed/StateRetried/StateCaught have no GetExecutionHistory counterpart: the Lambda events above show them.
        return;
    }
  }
}

/** The state a history event shows: a state's input when entered, its output when exited (objects only). */
function latestState(previous: unknown, event: LibEvent): unknown {
  const value =
    event.type === 'StateEntered' ? event.state?.input : event.type === 'StateExited' ? event.state?.output : undefined;
  return value && typeof value === 'object' && !Array.isArray(value) ? value : previous;
}
