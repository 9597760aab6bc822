import { resolve } from 'node:path';
import { UserError, TimeoutError } from '../errors.js';
import { LOCAL_ACCOUNT_ID, naming } from '../blueprint/naming.js';
import { STATE_DIR } from '../project/state.js';
import type { OrderOutcome } from '../order/outcome.js';
import type { LogEntry } from '../logs/entry.js';
import { LocalApi } from './api.js';
import type { LocalRuntimeSpec } from './deploy.js';
import { LocalLambda, type FunctionLogLine, type LocalFunctionSpec, type LocalLambdaOptions } from './lambda.js';
import { Recorder } from './recorder.js';
import { LocalStore } from './store.js';
import type { BusObserver, LocalEventBus } from './bus.js';
import type { LocalStepFunctions } from './orchestration.js';
import { realClock, type Clock } from './clock.js';
import type { compilePattern } from '../events/pattern.js';
import { checkFaults, eventFaultHook, withHandlerFaults, type FaultPlan } from './faults.js';

export interface LocalBackendOptions {
  /** Also record each handler's console output as `function` log entries. */
  recordFunctionLogs?: boolean;
  /** Injected faults (`--inject`, faults.ts): handler faults in both modes, event faults in events mode. */
  faults?: FaultPlan;
  /** Keep the stage's state in this folder instead of `.fulfill/local/<stage>` (`iam check`'s throwaway run). */
  stateDir?: string;
  /** More environment per function, under the runtime's own (`iam check`: the call recorder's endpoint). */
  functionEnvironment?: (handler: string) => Record<string, string>;
  /** Told what the engines do on the functions' behalf (`iam check` compares it with the AWS policies). */
  observer?: EngineObserver;
  /**
   * The engines' time: retry intervals and back-off, injected delays and timeouts (clock.ts). The real clock unless
   * a test runs them faster; functions' timeouts are real time on any clock.
   */
  clock?: Clock;
  /**
   * Start the environments of an order's first step ahead, while the engine loads (default). Off for a backend that
   * starts no orders (redrive and replay deliver to the targets of their letters and events).
   */
  prewarm?: boolean;
}

/** What the local engines do that AWS would authorize: the bus's part, Step Functions' Tasks, the API, Lambda. */
export interface EngineObserver extends BusObserver {
  /** Step Functions invoked a Task's function. */
  taskInvoked?(handler: string): void;
  /** The API called its integration (StartExecution or PutEvents) with the rendered request. */
  integrationCalled?(request: unknown): void;
  /** A function ran an invocation (Lambda writes its log with the function's role). */
  invoked?(handler: string): void;
}

/**
 * A deployed local stage, running in this process: the Lambda runtime with the recorded bundles, the mode's
 * engine (Step Functions or the event bus) and the API in front of it, all writing to the stage's store.
 */
export class LocalBackend {
  private constructor(
    readonly deployment: LocalRuntimeSpec,
    readonly store: LocalStore,
    readonly recorder: Recorder,
    readonly api: LocalApi,
    private readonly lambda: LocalLambda,
    private readonly engine:
      { kind: 'orchestration'; sfn: LocalStepFunctions } | { kind: 'events'; bus: LocalEventBus },
  ) {}

  static async start(projectDir: string, stage: string, options: LocalBackendOptions = {}): Promise<LocalBackend> {
    const store = new LocalStore(projectDir, stage, options.stateDir);
    // Opening the stage also ends executions of processes that are gone (store.recoverInterrupted).
    const deployment = store.readDeployment() as LocalRuntimeSpec | undefined;
    if (!deployment) {
      throw new UserError(`stage "${stage}" is not deployed on the local target`, [
        'Run `fulfill deploy` first (add --stage if you use another stage).',
      ]);
    }
    const names = naming(deployment.app, deployment.stage, deployment.region, LOCAL_ACCOUNT_ID);
    if (options.faults) checkFaults(options.faults, deployment);
    const recorder = new Recorder(store);
    const clock = options.clock ?? realClock;
    const functionSpec = (
      fn: LocalRuntimeSpec['functions'][number],
      extraEnv: Record<string, string>,
    ): LocalFunctionSpec => ({
      name: fn.name,
      functionName: fn.functionName,
      functionArn: names.functionArn(fn.name),
      code: store.readBundle(fn.file),
      timeoutSeconds: deployment.functionsConfig.timeoutSeconds,
      memoryMb: deployment.functionsConfig.memoryMb,
      ...(deployment.functionsConfig.concurrency ? { concurrency: deployment.functionsConfig.concurrency } : {}),
      // SDK clients the project installed come first, then fulfill's (see LocalLambda).
      requireFrom: [resolve(projectDir, 'package.json')],
      environment: {
        ...deployment.functionsConfig.environment[fn.name],
        ...options.functionEnvironment?.(fn.name),
        ...extraEnv,
      },
    });
    const lambdaOptions = {
      codeCacheDir: resolve(projectDir, STATE_DIR, 'cache', 'v8'),
      onLog:
        options.recordFunctionLogs === false
          ? undefined
          : (line: FunctionLogLine) =>
              recorder.record(line.orderId ?? '-', 'function', 'FunctionLog', {
                name: line.function,
                timestamp: line.timestamp,
                details: { requestId: line.requestId, level: line.level, message: line.message },
              }),
      ...(options.observer?.invoked ? { onInvocation: ({ function: fn }) => options.observer!.invoked!(fn) } : {}),
    } satisfies LocalLambdaOptions;

    // The API in front of the mode's integration (StartExecution or PutEvents), answering once it is durable.
    const apiFor = (integrate: (request: unknown) => unknown) =>
      new LocalApi(
        deployment.api,
        deployment.stage,
        durably(store, (request) => {
          options.observer?.integrationCalled?.(request);
          return integrate(request);
        }),
        recorder,
      );

    if (deployment.mode === 'orchestration') {
      const runtime = new LocalLambda(
        deployment.functions.map((fn) => functionSpec(fn, {})),
        lambdaOptions,
      );
      // The first Task's environment starts loading its bundle while this thread loads the engine; the others
      // start on their first invocation, as on Lambda. Warming all of them cost more than it saved: an order
      // reaches 2 to 5 of the template's 7 functions, and on a busy 2-core machine the cold starts compete with
      // this thread. Measured (one send-order --wait, orchestration, A/B medians of 7, load 17): creditCard CPU
      // 0.80 -> 0.66 s, wall 1.88 -> 1.86 s; paypal (2 functions) CPU 0.89 -> 0.61 s.
      const { definition, tasks } = deployment.workflow!;
      const first = tasks.find(([state]) => state === definition.StartAt);
      if (options.prewarm !== false) runtime.prewarm(first ? [first[1]] : []);
      const { LocalStepFunctions } = await import('./orchestration.js');
      const lambda = withHandlerFaults(runtime, options.faults, { deployment, recorder, clock });
      const sfn = await LocalStepFunctions.create(
        deployment.workflow!.definition,
        new Map(deployment.workflow!.tasks),
        names,
        observedInvocations(lambda, options.observer),
        store,
        recorder,
        clock,
      );
      const api = apiFor((request) => sfn.startExecution(request as never));
      return new LocalBackend(deployment, store, recorder, api, lambda, { kind: 'orchestration', sfn });
    }
    const [{ LocalEventBus }, { compilePattern }] = await Promise.all([
      import('./bus.js'),
      // Loaded by the bus anyway; not at the top, where orchestration would load it for nothing.
      import('../events/pattern.js'),
    ]);
    const bus = new LocalEventBus(deployment, names, store, recorder, clock);
    const endpoint = await bus.listen();
    // The functions' events wrapper publishes with the real EventBridge client, pointed at the local bus; each
    // function at its own path of the bus endpoint, so the bus knows who published. The requests travel over
    // each environment's message port (other clients of the endpoint use HTTP).
    // Credentials and the SDK's Node-version notice: see the SDK environment in lambda.ts.
    const sdkEnv = (fn: string) => ({
      AWS_REGION: deployment.region,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpointFor(fn),
    });
    const runtime = new LocalLambda(
      deployment.functions.map((fn) => functionSpec(fn, sdkEnv(fn.name))),
      { ...lambdaOptions, localEndpoint: { url: endpoint, handle: (request) => bus.serveRequest(request) } },
    );
    // As in orchestration: only what every order reaches first starts ahead (the targets of the rules each
    // OrderPlaced matches), the others on their first invocation, as on Lambda. An events order reaches 2 to 7
    // functions, and each environment costs ~0.1 s of CPU (a worker, and the EventBridge client it loads).
    if (options.prewarm !== false) runtime.prewarm(firstTargets(deployment, names, compilePattern));
    const lambda = withHandlerFaults(runtime, options.faults, {
      deployment,
      recorder,
      publish: (r) => bus.putEvents(r),
      busName: names.busName(),
      clock,
    });
    bus.attach(lambda);
    bus.faults = eventFaultHook(options.faults, recorder);
    bus.observer = options.observer;
    const api = apiFor((request) => bus.putEvents(request as never));
    return new LocalBackend(deployment, store, recorder, api, lambda, { kind: 'events', bus });
  }

  get mode() {
    return this.deployment.mode;
  }

  /** The execution environments of each function, started and busy, and the invocations waiting (LocalLambda.stats). */
  environments(): ReturnType<LocalLambda['stats']> {
    return this.lambda.stats();
  }

  /** The event bus in events mode (redrive and replay run on it); undefined in orchestration. */
  get events(): LocalEventBus | undefined {
    return this.engine.kind === 'events' ? this.engine.bus : undefined;
  }

  /** The outcome of an order this process runs, as a promise without a deadline (undefined if it runs elsewhere). */
  running(orderId: string): Promise<OrderOutcome> | undefined {
    return this.engine.kind === 'orchestration' ? this.engine.sfn.outcome(orderId) : this.engine.bus.outcome(orderId);
  }

  /**
   * Waits for an order's outcome: from the engine when this process runs it (resolved the moment it ends),
   * otherwise from the store (another process, e.g. `fulfill serve`, runs it): an indexed read per poll.
   */
  async waitForOutcome(orderId: string, timeoutMs: number): Promise<OrderOutcome> {
    const running = this.running(orderId);
    const deadline = Date.now() + timeoutMs;
    const timedOut = () =>
      new TimeoutError(`order ${orderId}: no outcome after ${timeoutMs / 1000}s`, [
        `Raise --timeout, or look at \`fulfill logs --order ${orderId}\`.`,
      ]);
    if (running) {
      let timer: NodeJS.Timeout | undefined;
      let unsubscribe = () => {};
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOut()), timeoutMs);
      });
      // A flow whose next step cannot be recorded (a full disk) never finishes: its order ends with the fault now.
      const faulted = new Promise<never>((_, reject) => {
        unsubscribe = this.store.onceFaulted(reject);
      });
      try {
        const outcome = await Promise.race([running, timeout, faulted]);
        // An outcome that could not be recorded is no outcome: the one-line state error instead.
        if (this.store.fault) throw this.store.fault;
        return outcome;
      } finally {
        clearTimeout(timer);
        unsubscribe();
      }
    }
    const started = this.store.latestExecution(orderId);
    for (;;) {
      const latest = this.store.latestExecution(orderId);
      const outcome =
        latest && latest.id >= (started?.id ?? 0) ? this.store.readExecutionOutcome(latest.id) : undefined;
      if (outcome) return outcome;
      if (Date.now() >= deadline) throw timedOut();
      // Real time on any clock: polling sooner would only cost CPU (the engine's promise above wakes at once).
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * What `GET /orders/{id}` answers: the latest execution's outcome when there is one, else its timeline so far;
   * `execution` is the submission shown and `executions` how many there are. Indexed reads only.
   */
  orderView(orderId: string):
    | {
        orderId: string;
        status: string;
        execution?: number;
        executions: number;
        outcome?: OrderOutcome;
        timeline: LogEntry[];
      }
    | undefined {
    const latest = this.store.latestExecution(orderId);
    const timeline = this.store.readLog({ orderId, ...(latest ? { execution: latest.execution } : {}) });
    const outcome = latest ? this.store.readExecutionOutcome(latest.id) : undefined;
    if (!latest && timeline.length === 0) return undefined;
    return {
      orderId,
      status: outcome?.status ?? (latest ? 'RUNNING' : 'REJECTED'),
      ...(latest ? { execution: latest.execution } : {}),
      executions: latest?.execution ?? 0,
      ...(outcome ? { outcome } : {}),
      timeline,
    };
  }

  /** Records an order this process accepted but could not finish (e.g. serve stopped): no order is lost silently. */
  recordInterrupted(orderId: string): void {
    this.store.interruptLatest(orderId, 'interrupted: the local backend stopped before the order finished');
  }

  /**
   * Executions still running at close are the ones nobody waits for any more (serve stopped, send-order --timeout
   * gave up): they end now, recorded as interrupted, and close waits for them. Otherwise their retries would run on
   * after close and write to a store reopened behind the caller's back: a process that runs commands one after
   * another (a test, the bench) would see writes of a command that had returned.
   */
  private stopExecutions(sfn: LocalStepFunctions): Promise<unknown> {
    const left = sfn.inFlight();
    try {
      for (const orderId of left) this.recordInterrupted(orderId);
    } catch {
      // A full disk: close reports the store's fault; left RUNNING, the next process to open the stage ends them.
    }
    sfn.abortAll();
    return Promise.allSettled(left.map((orderId) => sfn.outcome(orderId) ?? Promise.resolve(undefined)));
  }

  /** Stops the engine and the execution environments. Callers wait for the orders they want finished first. */
  async close(options: { force?: boolean } = {}): Promise<void> {
    // Normally let every delivery finish (fan-out branches too); forced, stop the functions first so
    // deliveries fail fast (and are retried, then dead-lettered) instead of running on.
    const stopped = this.engine.kind === 'orchestration' ? this.stopExecutions(this.engine.sfn) : undefined;
    if (options.force) await this.lambda.close();
    await stopped;
    if (this.engine.kind === 'events') await this.engine.bus.close();
    await this.lambda.close();
    this.store.close();
    // Writes that failed in the background (disk full, ...) fail the command that made them, in one line.
    if (this.store.fault) throw this.store.fault;
  }
}

/**
 * The functions every accepted order is delivered to first: the targets of the rules that match the API's
 * OrderPlaced whatever the order says. A rule that filters on the detail may not match a given order, so it
 * does not count (its target starts on its first invocation).
 */
function firstTargets(
  deployment: LocalRuntimeSpec,
  names: ReturnType<typeof naming>,
  compile: typeof compilePattern,
): string[] {
  const flow = deployment.events;
  if (!flow) return [];
  const placed = {
    version: '0',
    'detail-type': flow.orderPlaced,
    source: flow.source,
    account: LOCAL_ACCOUNT_ID,
    region: names.region,
    resources: [],
  };
  const targets = flow.rules
    .filter((rule) => !('detail' in (rule.pattern as object)) && compile(rule.pattern)(placed))
    .map((rule) => rule.target);
  return [...new Set(targets)];
}

/** `lambda`, telling `observe` of each invocation before it runs (Step Functions invoking a Task's function). */
function observedInvocations(lambda: LocalLambda, observer: EngineObserver | undefined): LocalLambda {
  if (!observer?.taskInvoked) return lambda;
  return new Proxy(lambda, {
    get(target, property) {
      if (property === 'invoke')
        return (name: string, event: unknown, meta?: { orderId?: string }) => {
          observer.taskInvoked?.(name);
          return target.invoke(name, event, meta);
        };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The API answers 200 only once the accepted order is committed (the execution row, its input, the event):
 * the accept runs in the turn's write transaction and the answer waits for its commit (one per turn).
 */
function durably<T>(store: LocalStore, action: (request: unknown) => T): (request: unknown) => Promise<T> {
  return (request) => store.grouped(() => action(request));
}
