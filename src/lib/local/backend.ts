import { resolve } from 'node:path';
import { UserError, TimeoutError } from '../errors.js';
import { naming } from '../blueprint/naming.js';
import { buildOutcome, type OrderOutcome } from '../order/outcome.js';
import type { LogEntry } from '../logs/entry.js';
import { LocalApi } from './api.js';
import type { LocalRuntimeSpec } from './deploy.js';
import { LocalLambda, type FunctionLogLine, type LocalFunctionSpec } from './lambda.js';
import { Recorder } from './recorder.js';
import { LocalStore } from './store.js';
import type { LocalEventBus } from './bus.js';
import type { LocalStepFunctions } from './orchestration.js';

export interface LocalBackendOptions {
  /** Also record each handler's console output as `function` log entries. */
  recordFunctionLogs?: boolean;
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
    private readonly engine: { kind: 'orchestration'; sfn: LocalStepFunctions } | { kind: 'events'; bus: LocalEventBus },
  ) {}

  static async start(projectDir: string, stage: string, options: LocalBackendOptions = {}): Promise<LocalBackend> {
    const store = new LocalStore(projectDir, stage);
    const deployment = store.readDeployment() as LocalRuntimeSpec | undefined;
    if (!deployment) {
      throw new UserError(`stage "${stage}" is not deployed on the local target`, ['Run `fulfill deploy` first (add --stage if you use another stage).']);
    }
    const names = naming(deployment.app, deployment.stage, deployment.region);
    const recorder = new Recorder(store);
    const functionSpec = (fn: LocalRuntimeSpec['functions'][number], extraEnv: Record<string, string>): LocalFunctionSpec => ({
      name: fn.name,
      functionName: fn.functionName,
      functionArn: names.functionArn(fn.name),
      code: store.readBundle(fn.file),
      timeoutSeconds: deployment.functionsConfig.timeoutSeconds,
      memoryMb: deployment.functionsConfig.memoryMb,
      ...(deployment.functionsConfig.concurrency ? { concurrency: deployment.functionsConfig.concurrency } : {}),
      // SDK clients the project installed come first, then fulfill's (see LocalLambda).
      requireFrom: [resolve(projectDir, 'package.json')],
      environment: { ...deployment.functionsConfig.environment[fn.name], ...extraEnv },
    });
    const lambdaOptions = {
      onLog: options.recordFunctionLogs === false ? undefined : (line: FunctionLogLine) =>
        recorder.record(line.orderId ?? '-', 'function', 'FunctionLog', { name: line.function, timestamp: line.timestamp, details: { requestId: line.requestId, level: line.level, message: line.message } }),
    };

    if (deployment.mode === 'orchestration') {
      const { LocalStepFunctions } = await import('./orchestration.js');
      const lambda = new LocalLambda(deployment.functions.map((fn) => functionSpec(fn, {})), lambdaOptions);
      const sfn = await LocalStepFunctions.create(deployment.workflow!.definition, new Map(deployment.workflow!.tasks), names, lambda, store, recorder);
      const api = new LocalApi(deployment.api, deployment.stage, (request) => sfn.startExecution(request as never), recorder);
      return new LocalBackend(deployment, store, recorder, api, lambda, { kind: 'orchestration', sfn });
    }
    const { LocalEventBus } = await import('./bus.js');
    const bus = new LocalEventBus(deployment, names, store, recorder);
    const endpoint = await bus.listen();
    // The functions' events wrapper publishes with the real EventBridge client, pointed at the local bus.
    const sdkEnv = {
      AWS_REGION: deployment.region,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
      // Credentials and the SDK's Node-version notice: see the SDK environment in lambda.ts.
    };
    const lambda = new LocalLambda(deployment.functions.map((fn) => functionSpec(fn, sdkEnv)), lambdaOptions);
    bus.attach(lambda);
    const api = new LocalApi(deployment.api, deployment.stage, (request) => bus.putEvents(request as never), recorder);
    return new LocalBackend(deployment, store, recorder, api, lambda, { kind: 'events', bus });
  }

  get mode() {
    return this.deployment.mode;
  }

  /** The outcome of an order this process runs, as a promise without a deadline (undefined if it runs elsewhere). */
  running(orderId: string): Promise<OrderOutcome> | undefined {
    return this.engine.kind === 'orchestration' ? this.engine.sfn.outcome(orderId) : this.engine.bus.outcome(orderId);
  }

  /**
   * Waits for an order's outcome: from the engine when this process runs it, otherwise from the store
   * (another process, e.g. `fulfill serve`, runs it).
   */
  async waitForOutcome(orderId: string, timeoutMs: number): Promise<OrderOutcome> {
    const running = this.running(orderId);
    const deadline = Date.now() + timeoutMs;
    if (running) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`order ${orderId}: no outcome after ${timeoutMs / 1000}s`, ['Raise --timeout, or look at `fulfill logs --order ' + orderId + '`.'])), timeoutMs);
      });
      try {
        return await Promise.race([running, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
    for (;;) {
      const outcome = this.store.readOutcome(orderId);
      if (outcome) return outcome;
      if (Date.now() >= deadline) throw new TimeoutError(`order ${orderId}: no outcome after ${timeoutMs / 1000}s`, [`Look at \`fulfill logs --order ${orderId}\`.`]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** What `GET /orders/{id}` answers: the outcome when there is one, else the order's timeline so far. */
  orderView(orderId: string): { orderId: string; status: string; outcome?: OrderOutcome; timeline: LogEntry[] } | undefined {
    const timeline = this.store.readLog({ orderId });
    const outcome = this.store.readOutcome(orderId);
    if (!outcome && timeline.length === 0) return undefined;
    return { orderId, status: outcome?.status ?? 'RUNNING', ...(outcome ? { outcome } : {}), timeline };
  }

  /** Records an order this process accepted but could not finish (e.g. serve stopped): no order is lost silently. */
  recordInterrupted(orderId: string): void {
    if (this.store.readOutcome(orderId)) return;
    const execution = this.store.readExecution(orderId);
    const first = this.store.readLog({ orderId })[0];
    const startedAt = execution?.startDate ?? first?.timestamp ?? new Date().toISOString();
    const placed = this.store.readLog({ orderId }).find((e) => e.type === 'EventPublished')?.details?.detail as Record<string, unknown> | undefined;
    const state = execution ? (JSON.parse(execution.input) as Record<string, unknown>) : (placed ?? { orderId });
    this.recorder.record(orderId, this.mode === 'orchestration' ? 'execution' : 'events', this.mode === 'orchestration' ? 'ExecutionAborted' : 'OrderInterrupted', { details: { reason: 'the local backend stopped before the order finished' } });
    this.recorder.flush();
    this.store.writeOutcome(
      buildOutcome({ orderId, mode: this.mode, status: 'ABORTED', state, failure: { Error: 'Interrupted', Cause: 'the local backend stopped before the order finished' }, startedAt, finishedAt: new Date().toISOString() }),
    );
    if (execution) this.store.updateExecution({ ...execution, status: 'ABORTED' });
  }

  /** Stops the engine and the execution environments. In-flight work is finished first by the caller. */
  async close(options: { force?: boolean } = {}): Promise<void> {
    // Normally let every delivery finish (fan-out branches too); forced, stop the functions first so
    // deliveries fail fast (and are retried, then dead-lettered) instead of running on.
    if (options.force && this.engine.kind === 'orchestration') this.engine.sfn.abortAll();
    if (options.force) await this.lambda.close();
    if (this.engine.kind === 'events') await this.engine.bus.close();
    await this.lambda.close();
    this.recorder.flush();
    this.store.close();
  }
}
