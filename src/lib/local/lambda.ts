import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FunctionError, type LambdaErrorPayload } from '../runtime/lambda-error.js';

export interface LocalFunctionSpec {
  /** Handler name, e.g. authorize-payment. */
  name: string;
  /** Lambda function name, e.g. fulfill-shop-dev-authorize-payment. */
  functionName: string;
  functionArn: string;
  /** The CommonJS bundle exporting `handler`. */
  code: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
}

export interface InvocationRecord {
  function: string;
  requestId: string;
  startedAt: number;
  durationMs: number;
  error?: LambdaErrorPayload;
}

export interface FunctionLogLine {
  function: string;
  /** The order the invocation worked on, when the caller said so (for per-order logs). */
  orderId?: string;
  requestId: string;
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  message: string;
  timestamp: number;
}

export interface LocalLambdaOptions {
  onLog?: (line: FunctionLogLine) => void;
  onInvocation?: (record: InvocationRecord) => void;
}

// The sandbox: a worker thread per function, like a Lambda execution environment kept warm. It loads the
// bundle as CommonJS with a `require` rooted in fulfill's own node_modules, the way the Lambda Node.js
// runtime provides the AWS SDK. Written inline (eval) so it works from dist and from the TS sources.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const util = require('node:util');
const sdkRequire = createRequire(workerData.requireFrom);
const mod = { exports: {} };
let current = { requestId: '' };
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  console[level] = (...args) => parentPort.postMessage({ kind: 'log', level, requestId: current.requestId, message: util.format(...args), timestamp: Date.now() });
}
try {
  new Function('exports', 'require', 'module', '__filename', '__dirname', workerData.code)(mod.exports, sdkRequire, mod, workerData.functionName + '/index.js', workerData.functionName);
} catch (error) {
  parentPort.postMessage({ kind: 'init-error', error: { errorType: 'Runtime.UserCodeSyntaxError', errorMessage: String(error && error.message || error), trace: [] } });
}
const handler = mod.exports.handler;
parentPort.on('message', async (msg) => {
  const deadline = msg.deadline;
  const context = {
    awsRequestId: msg.requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memoryMb),
    logGroupName: '/aws/lambda/' + workerData.functionName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  current = { requestId: msg.requestId };
  try {
    if (typeof handler !== 'function') {
      const e = new Error(workerData.functionName + ': the bundle does not export a function named "handler"');
      e.name = 'Runtime.HandlerNotFound';
      throw e;
    }
    const result = await handler(msg.event, context);
    parentPort.postMessage({ kind: 'result', id: msg.id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const isError = error instanceof Error;
    parentPort.postMessage({ kind: 'result', id: msg.id, ok: false, error: {
      errorType: isError ? (error.name || 'Error') : 'Error',
      errorMessage: isError ? error.message : (typeof error === 'string' ? error : JSON.stringify(error)),
      trace: isError && error.stack ? error.stack.split('\\n').slice(1, 6).map((l) => l.trim()) : [],
    } });
  }
});
`;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  requestId: string;
  startedAt: number;
  orderId?: string;
}

/**
 * A Lambda-like runtime for the local target: isolated execution environments (worker threads), an event
 * and a context with request id and remaining time, a timeout that kills the environment, and failures in
 * Lambda's shape (`errorType`, `errorMessage`), so Step Functions Retry/Catch behave as on AWS.
 */
export class LocalLambda {
  private readonly workers = new Map<string, { worker: Worker; pending: Map<number, Pending> }>();
  private readonly specs = new Map<string, LocalFunctionSpec>();
  private nextId = 1;
  private closed = false;

  constructor(
    specs: readonly LocalFunctionSpec[],
    private readonly options: LocalLambdaOptions = {},
  ) {
    for (const spec of specs) this.specs.set(spec.name, spec);
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  /** Invokes a function (RequestResponse). Resolves with its result or rejects with a FunctionError. */
  invoke(name: string, event: unknown, meta: { orderId?: string } = {}): Promise<unknown> {
    const spec = this.specs.get(name);
    if (!spec) {
      const error = new FunctionError({ errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${name}`, trace: [] });
      return Promise.reject(error);
    }
    if (this.closed) {
      return Promise.reject(new FunctionError({ errorType: 'Lambda.ServiceException', errorMessage: 'The local Lambda runtime is shutting down', trace: [] }));
    }
    const env = this.environment(spec);
    const id = this.nextId++;
    const requestId = randomUUID();
    const startedAt = Date.now();
    const deadline = startedAt + spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Lambda: a timed-out invocation ends its execution environment; the next invocation gets a fresh one.
        this.fail(spec.name, { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`, trace: [] }, id);
        this.recycle(spec.name, { errorType: 'Lambda.ServiceException', errorMessage: 'The execution environment was reset after another invocation timed out', trace: [] });
      }, spec.timeoutSeconds * 1000);
      timer.unref?.();
      env.pending.set(id, { resolve, reject, timer, requestId, startedAt, orderId: meta.orderId });
      // Keep the process alive only while an invocation is in flight (idle environments do not block exit).
      env.worker.ref();
      env.worker.postMessage({ id, requestId, event, deadline });
    });
  }

  /** Stops every execution environment. */
  async close(): Promise<void> {
    this.closed = true;
    for (const name of [...this.workers.keys()]) this.recycle(name, { errorType: 'Lambda.ServiceException', errorMessage: 'The local Lambda runtime is shutting down', trace: [] });
    const all = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(all.map(({ worker }) => worker.terminate()));
  }

  private environment(spec: LocalFunctionSpec) {
    let env = this.workers.get(spec.name);
    if (env) return env;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { code: spec.code, functionName: spec.functionName, functionArn: spec.functionArn, memoryMb: spec.memoryMb, requireFrom: REQUIRE_FROM },
      env: { ...spec.environment, AWS_LAMBDA_FUNCTION_NAME: spec.functionName, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb) },
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, spec.memoryMb) },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const pending = new Map<number, Pending>();
    env = { worker, pending };
    this.workers.set(spec.name, env);
    worker.on('message', (msg: WorkerMessage) => this.onMessage(spec.name, msg));
    worker.on('error', (error) => {
      // An uncaught exception or an out-of-memory kill ends the environment, failing what it was running.
      this.recycle(spec.name, { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${[...pending.values()][0]?.requestId ?? '-'} Error: Runtime exited with error: ${error.message}`, trace: [] });
    });
    worker.on('exit', (code) => {
      if (this.workers.get(spec.name)?.worker === worker) {
        this.recycle(spec.name, { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with status ${code}`, trace: [] });
      }
    });
    return env;
  }

  private onMessage(name: string, msg: WorkerMessage) {
    if (msg.kind === 'log') {
      const orderId = [...(this.workers.get(name)?.pending.values() ?? [])].find((p) => p.requestId === msg.requestId)?.orderId;
      this.options.onLog?.({ function: name, requestId: msg.requestId, level: msg.level, message: msg.message, timestamp: msg.timestamp, ...(orderId ? { orderId } : {}) });
      return;
    }
    if (msg.kind === 'init-error') {
      this.recycle(name, msg.error);
      return;
    }
    const env = this.workers.get(name);
    if (env) this.settle(name, env, msg.id, msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error });
  }

  private fail(name: string, error: LambdaErrorPayload, id: number) {
    const env = this.workers.get(name);
    if (env) this.settle(name, env, id, { ok: false, error });
  }

  private recycle(name: string, error: LambdaErrorPayload) {
    const env = this.workers.get(name);
    if (!env) return;
    this.workers.delete(name);
    for (const id of [...env.pending.keys()]) this.settle(name, env, id, { ok: false, error });
    void env.worker.terminate();
  }

  /** Ends one invocation: reports it, and resolves or rejects its caller. */
  private settle(name: string, env: { worker: Worker; pending: Map<number, Pending> }, id: number, outcome: { ok: true; result: unknown } | { ok: false; error: LambdaErrorPayload }) {
    const pending = env.pending.get(id);
    if (!pending) return;
    env.pending.delete(id);
    clearTimeout(pending.timer);
    if (env.pending.size === 0) env.worker.unref();
    const record = { function: name, requestId: pending.requestId, startedAt: pending.startedAt, durationMs: Date.now() - pending.startedAt };
    if (outcome.ok) {
      this.options.onInvocation?.(record);
      pending.resolve(outcome.result);
    } else {
      this.options.onInvocation?.({ ...record, error: outcome.error });
      pending.reject(new FunctionError(outcome.error));
    }
  }
}

type WorkerMessage =
  | { kind: 'log'; level: FunctionLogLine['level']; requestId: string; message: string; timestamp: number }
  | { kind: 'init-error'; error: LambdaErrorPayload }
  | { kind: 'result'; id: number; ok: true; result: unknown }
  | { kind: 'result'; id: number; ok: false; error: LambdaErrorPayload };

/** A file inside fulfill's package, so `require('@aws-sdk/...')` in a bundle resolves fulfill's dependencies. */
const REQUIRE_FROM = join(dirname(fileURLToPath(import.meta.url)), 'lambda.js');
