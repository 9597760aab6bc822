import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
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
  /** At most this many execution environments (concurrent invocations); more wait in a queue. */
  concurrency?: number;
  /** Files whose node_modules a bundle's `require` searches before fulfill's own (the project's, for SDK clients). */
  requireFrom?: string[];
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
  /**
   * A service this process serves itself (the local event bus): SDK requests a function sends to `url` travel
   * over its environment's message port instead of a loopback socket (see runtime/port-request-handler.ts),
   * and `handle` answers them as the service would over HTTP.
   */
  localEndpoint?: LocalEndpoint;
  /**
   * A folder inside the project for the V8 code cache of what the environments compile (their bundles and the
   * modules they require, see CODE_CACHE_SOURCE); without one every environment compiles everything from source.
   */
  codeCacheDir?: string;
}

/** An HTTP request as a function's SDK client sent it to the local endpoint: serialized, signed, unparsed. */
export interface PortHttpRequest {
  method: string;
  /** Path and query string. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface PortHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface LocalEndpoint {
  url: string;
  handle: (request: PortHttpRequest) => PortHttpResponse | Promise<PortHttpResponse>;
}

/**
 * Execution environments per function when the deployment does not say (config `functions.concurrency`): one
 * per CPU core beside the one the main thread (engine, bus, store) keeps busy, 1 to 8. Lambda gives every
 * concurrent invocation an environment of its own; here they share this machine's cores, and more environments
 * than cores only add cold starts competing for the same CPU (on a busy 2-core machine a cold start with the SDK
 * takes seconds, longer than a 1 s timeout) and memory: each events-mode environment holds its own copy of the
 * SDK, about 15 MB. Measured on 2 cores (2,000 orders, 50 in flight, events): 7 environments instead of 14 gave
 * the same orders/s with 18% less CPU per order and peak RSS 323 MB instead of 433 MB.
 */
export const DEFAULT_CONCURRENCY = Math.min(8, Math.max(1, availableParallelism() - 1));
/**
 * The young generation of each environment's heap (V8 sizes it from the machine otherwise, up to tens of MB per
 * isolate). An invocation's garbage is short-lived, so a small nursery keeps each environment's resident memory
 * down without a CPU cost: measured 433 -> 373 MB peak RSS at 14 environments, CPU per order 15.9 -> 14.5 ms.
 * The function's memoryMb stays the old generation's limit, as before.
 */
const YOUNG_GENERATION_MB = 4;
/** Idle environments kept warm per function; more than that are stopped after IDLE_TIMEOUT_MS without work. */
export const WARM_ENVIRONMENTS = 1;
const IDLE_TIMEOUT_MS = 30_000;
/**
 * How long an idle environment of a closed runtime stays parked for the next runtime of this process (see
 * ParkedEnvironments), and how many stay at most: enough for the next command of a process that runs several
 * (the in-process tests, `serve` after a redeploy), bounded so parked workers never pile up in memory.
 */
const PARKED_MS = 5_000;
/** How long parking waits for an environment to say which files it loaded (a message round trip). */
const PARK_ASK_MS = 1_000;
const MAX_PARKED = 16;
/** Lambda's Init phase limit: an environment whose code does not load within it is discarded. */
const INIT_TIMEOUT_MS = 10_000;
/**
 * Environments loading their code at once, across all functions. On Lambda each cold start has its own CPU;
 * here a burst would start every pool at once and starve the invocations already running (whose timeout
 * clock runs) of the same cores, so cold starts beyond one per core wait their turn.
 */
const PARALLEL_COLD_STARTS = Math.max(1, availableParallelism());
/** How long `close` lets an environment finish writing its code cache (it takes milliseconds). */
const CACHE_SAVE_WAIT_MS = 2_000;
/** An invocation whose environment has not even started it after this many timeouts is timed out anyway. */
const MAX_DISPATCH_LAG_FACTOR = 5;

/**
 * Part of the worker (see WORKER_SOURCE): compiles CommonJS the way Node does, through a V8 code cache in the
 * project when the runtime has one (`codeCacheDir`). Node 20 keeps no compile cache for user code (22 has
 * module.enableCompileCache), and every environment is a fresh isolate that compiled its function's bundle and
 * every module it requires (the EventBridge client: about 25 files, 0.8 MB) again, at every start of every
 * process. The cache keeps what V8 compiled after the environment's first invocation, so functions compiled
 * lazily while it ran are in it too. Written here the way v8-compile-cache does it (Module.prototype._compile
 * compiles the module's wrapper with vm.Script and cachedData) rather than with that library, which keeps its
 * cache in the OS temp folder, outside the project, and is installed for the whole process it is required in.
 *
 * One file per module path: `<sha256(salt, path)>.bin` = MAGIC, sha256(salt, path, source), sha256(data), data.
 * The salt (Node, V8 and this format's version, the CPU architecture) keeps caches of other Node versions apart.
 * A cache is used only when both digests match: a changed source or a damaged or truncated file (V8 verifies no
 * checksum in release builds) is not given to V8; V8 itself rejects data of other flags (`cachedDataRejected`).
 * What is not used is compiled from source and written again, directly in place (a torn write is caught by the
 * digests next time). A cache that cannot be read or written costs its compile only: errors are ignored.
 */
const CODE_CACHE_SOURCE = `
// The wrapper Node puts around a CommonJS module, on the module's first line: columns there stay the module's.
const WRAPPER_OFFSET = -Module.wrapper[0].length;
/** The module wrapper of \`source\` (exports, require, module, __filename, __dirname), from the cache if it has it. */
function compileWrapper(source, filename) {
  const cached = codeCache?.lookup(filename, source);
  const script = new vm.Script(Module.wrap(source), {
    filename,
    columnOffset: WRAPPER_OFFSET,
    ...(cached?.data ? { cachedData: cached.data } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cached) return script.runInThisContext();
  if (cached.data && !script.cachedDataRejected) codeCache.counts.used++;
  else {
    codeCache.counts.compiled++;
    codeCache.pending.push({ script, entry: cached });
  }
  return script.runInThisContext();
}
function openCodeCache(options) {
  const fs = require('node:fs');
  const { createHash } = require('node:crypto');
  const { join } = require('node:path');
  const MAGIC = Buffer.from('fulfill-v8-cache-1\\n');
  const DIGEST = 32;
  const salt = [process.version, process.versions.v8, process.arch, MAGIC.toString().trim()].join('\\0');
  const sha256 = (...parts) => {
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part).update('\\0');
    return hash.digest();
  };
  const pending = [];
  return {
    pending,
    /** Modules (and the bundle) this environment took from the cache, and compiled from source. */
    counts: { used: 0, compiled: 0 },
    /** The cache entry of a module: its file, the digest its source must have, and the cached data if valid. */
    lookup(filename, source) {
      const file = join(options.dir, sha256(salt, filename).toString('hex') + '.bin');
      const digest = sha256(salt, filename, source);
      let data;
      try {
        const body = fs.readFileSync(file);
        const start = MAGIC.length + 2 * DIGEST;
        const valid =
          body.length > start &&
          body.subarray(0, MAGIC.length).equals(MAGIC) &&
          body.subarray(MAGIC.length, MAGIC.length + DIGEST).equals(digest) &&
          body.subarray(MAGIC.length + DIGEST, start).equals(sha256(body.subarray(start)));
        if (valid) data = body.subarray(start);
      } catch {
        // Not cached yet (or unreadable): compiled from source, and written.
      }
      return { file, digest, data };
    },
    /** Writes what was compiled from source since the last save. */
    save() {
      if (pending.length === 0) return;
      try {
        fs.mkdirSync(options.dir, { recursive: true });
      } catch {
        pending.length = 0;
        return;
      }
      for (const { script, entry } of pending.splice(0)) {
        try {
          const data = script.createCachedData();
          fs.writeFileSync(entry.file, Buffer.concat([MAGIC, entry.digest, sha256(data), data]));
        } catch {
          // A full disk or a read-only project: the next process compiles this module again.
        }
      }
    },
  };
}
/**
 * Node's Module.prototype._compile for CommonJS, with the wrapper from compileWrapper; ES modules, and source
 * that does not compile as CommonJS (an ES module in a .js file, a syntax error), go to Node's own, which
 * detects the one and reports the other as usual.
 */
function cacheModuleCompiles() {
  const nodeCompile = Module.prototype._compile;
  const { dirname } = require('node:path');
  Module.prototype._compile = function (content, filename, format) {
    if (format === 'module') return nodeCompile.call(this, content, filename, format);
    let wrapper;
    try {
      wrapper = compileWrapper(content, filename);
    } catch {
      return nodeCompile.call(this, content, filename, format);
    }
    const module = this;
    const require = (id) => module.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    return wrapper.call(module.exports, module.exports, require, module, filename, dirname(filename));
  };
}
`;

// The sandbox: one worker thread per execution environment, running one invocation at a time as Lambda does.
// It loads the bundle as CommonJS with a `require` that looks in the project's node_modules first, then in
// fulfill's, the way the Lambda Node.js runtime provides the AWS SDK. Written inline (eval) so it works from
// dist and from the TS sources.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
// Everything goes over a dedicated port, so the runtime can read a result that is already there when a
// timeout fires (see LocalLambda.run).
const parentPort = workerData.port;
// When this environment took its invocation (time, then id; see STARTED_BYTES), shared with the runtime.
const startedTime = new Float64Array(workerData.started, 0, 1);
const startedId = new Int32Array(workerData.started, 8, 1);
const Module = require('node:module');
const util = require('node:util');
const vm = require('node:vm');
${CODE_CACHE_SOURCE}
const codeCache = workerData.codeCache ? openCodeCache(workerData.codeCache) : undefined;
if (codeCache) cacheModuleCompiles();
const requires = workerData.requireFrom.map((file) => Module.createRequire(file));
// The last folder is fulfill's own: there an SDK client it vendored loads as one file (see runtimeSdkBundles).
const fulfillRequire = requires[requires.length - 1];
const runtimeSdk = new Map(Object.entries(workerData.runtimeSdk));
function bundleRequire(id) {
  let missing;
  for (const req of requires) {
    if (req === fulfillRequire && runtimeSdk.has(id)) return req(runtimeSdk.get(id));
    try {
      return req(id);
    } catch (error) {
      // Only "this module is not here" moves on to the next folder; an error inside the module is the module's.
      if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes("'" + id + "'")) { missing = error; continue; }
      throw error;
    }
  }
  throw missing;
}
// The local endpoint (the bus in events mode): requests to it go over the port, answered by the main thread.
// A request pending when the environment ends is simply never answered: nothing on the main thread waits on it.
const pendingRequests = new Map();
let nextRequestId = 1;
if (workerData.localEndpoint) {
  Object.defineProperty(globalThis, Symbol.for('fulfill.localEndpoint'), {
    value: Object.freeze({
      url: workerData.localEndpoint,
      send(request) {
        return new Promise((resolve, reject) => {
          const id = nextRequestId++;
          pendingRequests.set(id, { resolve, reject });
          parentPort.postMessage({ kind: 'request', id, request });
        });
      },
    }),
  });
}
const mod = { exports: {} };
let current = { requestId: '' };
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  console[level] = (...args) => parentPort.postMessage({ kind: 'log', level, requestId: current.requestId, message: util.format(...args), timestamp: Date.now() });
}
function payload(error) {
  try {
    const isError = error instanceof Error;
    return {
      errorType: isError ? (error.name || 'Error') : 'Error',
      errorMessage: isError ? String(error.message) : (typeof error === 'string' ? error : JSON.stringify(error) ?? String(error)),
      trace: isError && typeof error.stack === 'string' ? traceOf(error) : [],
    };
  } catch {
    return { errorType: 'Error', errorMessage: String(error), trace: [] };
  }
}
/** The stack's first 5 frames, after its "Name: message" line (a compile error's stack starts with the source). */
function traceOf(error) {
  const lines = error.stack.split('\\n');
  const header = lines.findIndex((line) => line.startsWith(String(error.name) + ':'));
  return lines.slice(header + 1, header + 6).map((l) => l.trim());
}
try {
  // The bundle is index.js of a function named after it, as in the deployment package.
  const filename = workerData.functionName + '/index.js';
  compileWrapper(workerData.code, filename)(mod.exports, bundleRequire, mod, filename, workerData.functionName);
  parentPort.postMessage({ kind: 'ready', ...(codeCache ? { codeCache: codeCache.counts } : {}) });
} catch (error) {
  const p = payload(error);
  p.errorType = error && error.code === 'MODULE_NOT_FOUND' ? 'Runtime.ImportModuleError' : 'Runtime.UserCodeSyntaxError';
  p.errorMessage = (error && error.name || 'Error') + ': ' + p.errorMessage;
  parentPort.postMessage({ kind: 'init-error', error: p });
}
const handler = mod.exports.handler;
// Invocations handed to this environment, taken one at a time in order: the runtime may hand over the next one
// while one runs (see LocalLambda.dispatch), so it starts the moment the one before it ends.
const waiting = [];
let taking = false;
parentPort.on('message', (msg) => {
  if (msg.kind === 'loaded-files') {
    // What this environment loaded besides its bundle (see ParkedEnvironments): CommonJS files by path.
    parentPort.postMessage({ kind: 'loaded-files', files: Object.keys(Module._cache) });
    return;
  }
  if (msg.kind === 'response') {
    const pending = pendingRequests.get(msg.id);
    pendingRequests.delete(msg.id);
    if (pending && msg.ok) pending.resolve(msg.response);
    else if (pending) pending.reject(new Error(msg.message));
    return;
  }
  waiting.push(msg);
  if (!taking) void takeWaiting();
});
async function takeWaiting() {
  taking = true;
  // One that ended past its timeout ends this environment (the runtime stops it): it takes nothing more.
  while (waiting.length > 0) if (await invoke(waiting.shift())) return;
  taking = false;
}
/** Runs one invocation and posts its result; resolves true when it ended past its timeout. */
async function invoke(msg) {
  // The invocation's clock starts when this environment takes it (see LocalLambda.run).
  const startedAt = Date.now();
  const deadline = startedAt + msg.timeoutMs;
  startedTime[0] = startedAt;
  Atomics.store(startedId, 0, msg.id);
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
  let result;
  try {
    if (typeof handler !== 'function') {
      const e = new Error(workerData.functionName + ': the bundle does not export a function named "handler"');
      e.name = 'Runtime.HandlerNotFound';
      throw e;
    }
    // The payload as JSON text when the runtime had it already (see LocalLambda.invoke): Lambda's own encoding.
    result = await handler(msg.eventJson === undefined ? msg.event : JSON.parse(msg.eventJson), context);
  } catch (error) {
    return post({ kind: 'result', id: msg.id, at: Date.now(), ok: false, error: payload(error) });
  }
  // Lambda serializes the result as JSON: circular structures and BigInts fail the invocation there too.
  let json;
  try {
    json = JSON.stringify(result === undefined ? null : result);
  } catch {
    return post({ kind: 'result', id: msg.id, at: Date.now(), ok: false, error: { errorType: 'Runtime.JSONStringifyError', errorMessage: 'Unable to stringify response body', trace: [] } });
  }
  return post({ kind: 'result', id: msg.id, at: Date.now(), ok: true, json: json === undefined ? 'null' : json });
  function post(message) {
    // After the answer: what the init and this invocation compiled from source goes into the cache, and the
    // runtime, told so, lets the save end before it stops the environment.
    const saving = codeCache !== undefined && codeCache.pending.length > 0;
    parentPort.postMessage(saving ? { ...message, savesCache: true } : message);
    if (saving) {
      codeCache.save();
      parentPort.postMessage({ kind: 'cache-saved' });
    }
    return message.at - startedAt > msg.timeoutMs;
  }
}
`;

interface Invocation {
  id: number;
  requestId: string;
  event: unknown;
  /** The event as JSON text, when the caller has it: posted as a string instead of structured-cloned. */
  eventJson?: string;
  /** Told the result's JSON text (as the function returned it) before the result resolves. */
  onResultJson?: (json: string) => void;
  orderId?: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** One execution environment: a worker that runs at most one invocation at a time. */
interface Environment {
  worker: Worker;
  port: MessagePort;
  /** Written by the worker when it takes an invocation: its start time (Float64 at 0) and id (Int32 at 8). */
  started: { time: Float64Array; id: Int32Array };
  state: 'starting' | 'idle' | 'busy' | 'gone';
  /** Counted in LocalLambda.coldStarts until its code has loaded (or failed to). */
  coldStart: boolean;
  /** Writing its code cache after an invocation (see CODE_CACHE_SOURCE); `cacheSaved` is told when it is done. */
  savingCache?: boolean;
  cacheSaved?: () => void;
  /** Told the files the environment loaded, when parking asked for them. */
  loadedFiles?: (files: string[]) => void;
  current?: { invocation: Invocation; startedAt: number; timer: NodeJS.Timeout; handedOver?: true };
  /** Handed over while `current` runs (see `dispatch`): the environment takes it when `current` ends. */
  next?: Invocation;
  timer?: NodeJS.Timeout;
}

/** The environments of one function, and the invocations waiting for one. */
interface FunctionPool {
  spec: LocalFunctionSpec;
  /** What an environment of this function is started with besides its code (see ParkedEnvironments). */
  config: string;
  environments: Set<Environment>;
  queue: Invocation[];
}

/**
 * A Lambda-like runtime for the local target: a pool of isolated execution environments (worker threads) per
 * function, each running one invocation at a time, started on demand up to the function's concurrency and
 * kept warm; invocations beyond it wait in a queue, and their timeout starts when an environment takes them.
 * An event and a context with request id and remaining time, a timeout or crash that ends only its own
 * environment, a memory limit, and failures in Lambda's shape (`errorType`, `errorMessage`), so Step
 * Functions Retry/Catch behave as on AWS.
 */
export class LocalLambda {
  private readonly pools = new Map<string, FunctionPool>();
  private closed = false;
  private coldStarts = 0;
  private readonly codeCacheCounts: CodeCacheCounts = { used: 0, compiled: 0 };
  /** Functions `prewarm` still has to start an environment for (each once, so a failing init is not retried). */
  private toWarm: FunctionPool[] = [];

  constructor(
    specs: readonly LocalFunctionSpec[],
    private readonly options: LocalLambdaOptions = {},
  ) {
    for (const spec of specs) this.pools.set(spec.name, { spec, config: '', environments: new Set(), queue: [] });
  }

  has(name: string): boolean {
    return this.pools.has(name);
  }

  /**
   * Invokes a function (RequestResponse). Resolves with its result or rejects with a FunctionError. A caller that
   * has the event as JSON text already (Step Functions logs it) passes it as `eventJson`: one string crosses to the
   * environment instead of a structured clone of the object, and `onResultJson` gets the result's text, which the
   * environment made anyway, so the caller need not serialize the result again.
   */
  invoke(
    name: string,
    event: unknown,
    meta: { orderId?: string; eventJson?: string; onResultJson?: (json: string) => void } = {},
  ): Promise<unknown> {
    const pool = this.pools.get(name);
    if (!pool) {
      return Promise.reject(
        new FunctionError({
          errorType: 'ResourceNotFoundException',
          errorMessage: `Function not found: ${name}`,
          trace: [],
        }),
      );
    }
    if (this.closed) return Promise.reject(new FunctionError(SHUTDOWN));
    return new Promise((resolve, reject) => {
      const invocation: Invocation = {
        id: nextInvocationId++,
        requestId: randomUUID(),
        event,
        resolve,
        reject,
        ...(meta.orderId ? { orderId: meta.orderId } : {}),
        ...(meta.eventJson !== undefined ? { eventJson: meta.eventJson } : {}),
        ...(meta.onResultJson ? { onResultJson: meta.onResultJson } : {}),
      };
      pool.queue.push(invocation);
      this.dispatch(pool);
    });
  }

  /**
   * Starts one environment per function (of `names`, default all) ahead of its first invocation, within the
   * cold-start limit (the rest as earlier cold starts end): the worker loads its bundle on another core while
   * this thread loads the engine.
   */
  prewarm(names?: readonly string[]): void {
    this.toWarm = [...this.pools.values()].filter((pool) => !names || names.includes(pool.spec.name));
    this.warmNext();
  }

  private warmNext() {
    while (this.toWarm.length > 0 && this.coldStarts < PARALLEL_COLD_STARTS && !this.closed) {
      const pool = this.toWarm.shift()!;
      if (pool.environments.size === 0 && !this.adoptParked(pool)) this.start(pool);
    }
  }

  /** How many environments each function has, and how many invocations wait (for tests and diagnostics). */
  stats(): Record<string, { environments: number; starting: number; busy: number; queued: number }> {
    const out: Record<string, { environments: number; starting: number; busy: number; queued: number }> = {};
    for (const [name, pool] of this.pools) {
      const envs = [...pool.environments];
      const count = (state: Environment['state']) => envs.filter((e) => e.state === state).length;
      out[name] = {
        environments: envs.length,
        starting: count('starting'),
        busy: count('busy'),
        // Handed over to a busy environment, not taken yet: still waiting.
        queued: pool.queue.length + envs.filter((e) => e.next).length,
      };
    }
    return out;
  }

  /** What the environments that started took from the code cache and compiled from source, at their init. */
  codeCacheStats(): CodeCacheCounts {
    return { ...this.codeCacheCounts };
  }

  /** Stops every execution environment; invocations still running or waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping: Array<Promise<number>> = [];
    for (const pool of this.pools.values()) {
      for (const invocation of pool.queue.splice(0))
        this.finish(pool, invocation, undefined, { ok: false, error: SHUTDOWN });
      for (const env of [...pool.environments]) {
        stopping.push(
          this.cacheSave(env).then(() =>
            env.state === 'idle' ? this.park(pool, env) : this.discard(pool, env, SHUTDOWN),
          ),
        );
      }
    }
    await Promise.all(stopping);
  }

  /**
   * Resolves when the environment is not writing its code cache (at most CACHE_SAVE_WAIT_MS): stopped in the
   * middle, the next process would compile from source again what this one just compiled.
   */
  private cacheSave(env: Environment): Promise<void> {
    if (!env.savingCache || env.state === 'gone') return Promise.resolve();
    // Referenced while waiting: a process with nothing else to do must not exit before close returns.
    env.port.ref();
    return new Promise((resolve) => {
      const timer = setTimeout(done, CACHE_SAVE_WAIT_MS);
      env.cacheSaved = done;
      function done() {
        clearTimeout(timer);
        env.cacheSaved = undefined;
        resolve();
      }
    });
  }

  /**
   * Hands queued invocations to idle environments, and starts environments for the rest, up to the limit. At
   * the limit, with every environment busy, each gets the next waiting invocation ahead (one at most): it takes
   * it the moment its current one ends, instead of after a round trip through this thread, which is busy with
   * every other function's messages too. Measured on 2 cores (events, one environment per function, 50 orders
   * in flight, one endpoint request per invocation): see its commit. Its timeout starts when the environment takes it.
   */
  private dispatch(pool: FunctionPool) {
    if (this.closed) return;
    for (const env of pool.environments) {
      if (pool.queue.length === 0) return;
      if (env.state === 'idle') this.run(pool, env, pool.queue.shift()!);
    }
    const limit = pool.spec.concurrency ?? DEFAULT_CONCURRENCY;
    // Warm environments a closed runtime of this process left for this function go before any cold start.
    while (pool.queue.length > 0 && pool.environments.size < limit) {
      const env = this.adoptParked(pool);
      if (!env) break;
      this.run(pool, env, pool.queue.shift()!);
    }
    let starting = 0;
    for (const env of pool.environments) if (env.state === 'starting') starting++;
    // A cold start per waiting invocation (as Lambda scales), but never more environments than the limit.
    while (pool.queue.length > starting && pool.environments.size < limit && this.coldStarts < PARALLEL_COLD_STARTS) {
      this.start(pool);
      starting++;
    }
    if (pool.environments.size < limit) return;
    for (const env of pool.environments) if (env.state !== 'busy') return;
    for (const env of pool.environments) {
      if (pool.queue.length === 0) return;
      if (env.next) continue;
      env.next = pool.queue.shift()!;
      this.handOver(env, pool, env.next);
    }
  }

  /** Posts an invocation to an environment: to run now (`run`) or once its current one ends (`next`). */
  private handOver(env: Environment, pool: FunctionPool, invocation: Invocation) {
    env.port.postMessage({
      kind: 'invoke',
      id: invocation.id,
      requestId: invocation.requestId,
      ...(invocation.eventJson === undefined ? { event: invocation.event } : { eventJson: invocation.eventJson }),
      timeoutMs: pool.spec.timeoutSeconds * 1000,
    });
  }

  /** A cold start ended (ready or failed): let waiting pools start theirs. */
  private coldStartDone(env: Environment) {
    if (!env.coldStart) return;
    env.coldStart = false;
    this.coldStarts--;
    for (const pool of this.pools.values()) if (pool.queue.length > 0) this.dispatch(pool);
    this.warmNext();
  }

  private run(pool: FunctionPool, env: Environment, invocation: Invocation, handedOver = false) {
    clearTimeout(env.timer);
    const timeoutMs = pool.spec.timeoutSeconds * 1000;
    const startedAt = Date.now();
    // The timeout clock starts when the environment takes the invocation (the worker's shared start record): time in
    // the queue, or in a message port while this machine is busy, does not count.
    const timer = setTimeout(() => this.checkTimeout(pool, env, invocation), timeoutMs);
    timer.unref();
    env.state = 'busy';
    env.current = { invocation, startedAt, timer, ...(handedOver ? { handedOver } : {}) };
    // Keep the process alive only while an invocation runs (idle environments do not block exit).
    env.worker.ref();
    env.port.ref();
    if (!handedOver) this.handOver(env, pool, invocation);
  }

  /** The timeout timer: ends the invocation (and its environment) once it has run longer than the timeout. */
  private checkTimeout(pool: FunctionPool, env: Environment, invocation: Invocation) {
    // A busy main thread runs due timers before it reads messages: look at what the worker already said.
    for (
      let queued = receiveMessageOnPort(env.port);
      queued;
      queued = env.current?.invocation === invocation ? receiveMessageOnPort(env.port) : undefined
    ) {
      this.onMessage(pool, env, queued.message as WorkerMessage);
    }
    const running = env.current;
    if (running?.invocation !== invocation) return;
    const timeoutMs = pool.spec.timeoutSeconds * 1000;
    const now = Date.now();
    // Not started yet (a starved worker) or started late: wait for the rest of its own time, within bounds.
    const due = (workerStartedAt(env) ?? now) + timeoutMs;
    if (due > now && now - running.startedAt < MAX_DISPATCH_LAG_FACTOR * timeoutMs) {
      running.timer = setTimeout(() => this.checkTimeout(pool, env, invocation), due - now);
      running.timer.unref();
      return;
    }
    this.timedOut(pool, env, invocation);
  }

  private timedOut(pool: FunctionPool, env: Environment, invocation: Invocation) {
    this.finish(pool, invocation, env, {
      ok: false,
      error: {
        errorType: 'Sandbox.Timedout',
        errorMessage: `Task timed out after ${pool.spec.timeoutSeconds.toFixed(2)} seconds`,
        trace: [],
      },
    });
    // Lambda: a timed-out invocation ends its own execution environment, and nothing else.
    void this.discard(pool, env);
  }

  /** What an environment of `pool`'s function starts with, but its code and port (the same for each). */
  private startConfig(pool: FunctionPool) {
    const { spec } = pool;
    return {
      workerData: {
        functionName: spec.functionName,
        functionArn: spec.functionArn,
        memoryMb: spec.memoryMb,
        requireFrom: [...(spec.requireFrom ?? []), REQUIRE_FROM],
        runtimeSdk: runtimeSdkBundles(),
        ...(this.options.localEndpoint ? { localEndpoint: this.options.localEndpoint.url } : {}),
        ...(this.options.codeCacheDir ? { codeCache: { dir: this.options.codeCacheDir } } : {}),
      },
      env: {
        ...sdkEnvironment(spec.functionArn.split(':')[3] ?? ''),
        ...spec.environment,
        AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      },
    };
  }

  /**
   * The key a parked environment must match, besides its code: everything it started with and every setting
   * Lambda would start new environments for when it changed (timeout, memory, variables; the SDK's endpoints and
   * credentials this process passes on). Computed when first needed: the process's environment is read then.
   */
  private configOf(pool: FunctionPool, started?: ReturnType<LocalLambda['startConfig']>): string {
    pool.config ||= JSON.stringify([started ?? this.startConfig(pool), pool.spec.timeoutSeconds]);
    return pool.config;
  }

  private start(pool: FunctionPool) {
    const { spec } = pool;
    const channel = new MessageChannel();
    const started = new SharedArrayBuffer(STARTED_BYTES);
    const config = this.startConfig(pool);
    this.configOf(pool, config);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      transferList: [channel.port2],
      workerData: { ...config.workerData, port: channel.port2, started, code: spec.code },
      env: config.env,
      // The function's memory is the isolate's heap limit: past it the worker is killed (Runtime.OutOfMemory).
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      stdout: false,
      stderr: false,
    });
    const env: Environment = {
      worker,
      port: channel.port1,
      started: { time: new Float64Array(started, 0, 1), id: new Int32Array(started, 8, 1) },
      state: 'starting',
      coldStart: true,
    };
    this.coldStarts++;
    pool.environments.add(env);
    env.timer = setTimeout(() => {
      this.failNext(pool, {
        errorType: 'Runtime.InitError',
        errorMessage: `Init phase timed out after ${INIT_TIMEOUT_MS / 1000} seconds`,
        trace: [],
      });
      void this.discard(pool, env);
    }, INIT_TIMEOUT_MS);
    env.timer.unref();
    this.listen(pool, env);
  }

  /** This runtime's handlers for an environment's messages, crash and exit. */
  private listen(pool: FunctionPool, env: Environment) {
    const { spec } = pool;
    const { worker } = env;
    env.port.on('message', (msg: WorkerMessage) => this.onMessage(pool, env, msg));
    worker.on('error', (error: Error & { code?: string }) => {
      this.drain(pool, env);
      const requestId = env.current?.invocation.requestId ?? '-';
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      // An uncaught exception or an out-of-memory kill ends the environment and fails only what it was running.
      const payload = outOfMemory
        ? {
            errorType: 'Runtime.OutOfMemory',
            errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: out of memory (MemorySize ${spec.memoryMb} MB)`,
            trace: [],
          }
        : {
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${firstLine(error.message)}`,
            trace: [],
          };
      if (env.state === 'starting') this.failNext(pool, payload);
      void this.discard(pool, env, payload);
    });
    worker.on('exit', (code) => {
      if (env.state === 'gone') return;
      this.drain(pool, env);
      const requestId = env.current?.invocation.requestId ?? '-';
      const payload = {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`,
        trace: [],
      };
      if (env.state === 'starting') this.failNext(pool, payload);
      void this.discard(pool, env, payload);
    });
  }

  private onMessage(pool: FunctionPool, env: Environment, msg: WorkerMessage) {
    if (env.state === 'gone') return;
    switch (msg.kind) {
      case 'log': {
        const orderId =
          env.current?.invocation.requestId === msg.requestId ? env.current.invocation.orderId : undefined;
        this.options.onLog?.({
          function: pool.spec.name,
          requestId: msg.requestId,
          level: msg.level,
          message: msg.message,
          timestamp: msg.timestamp,
          ...(orderId ? { orderId } : {}),
        });
        return;
      }
      case 'ready':
        if (msg.codeCache) {
          this.codeCacheCounts.used += msg.codeCache.used;
          this.codeCacheCounts.compiled += msg.codeCache.compiled;
        }
        this.becomeIdle(pool, env);
        return;
      case 'init-error':
        // Lambda: the invocation that needed this environment fails with the init error; the next one retries init.
        this.failNext(pool, msg.error);
        void this.discard(pool, env);
        return;
      case 'request':
        this.serveRequest(env, msg.id, msg.request);
        return;
      case 'loaded-files':
        env.loadedFiles?.(msg.files);
        return;
      case 'cache-saved':
        env.savingCache = false;
        env.cacheSaved?.();
        return;
      case 'result': {
        if (msg.savesCache) env.savingCache = true;
        const invocation = env.current?.invocation;
        if (!invocation || invocation.id !== msg.id) return;
        // Finished, but after its time (the timer had not come round yet): on Lambda it would have been stopped.
        const ranMs = msg.at - (workerStartedAt(env) ?? env.current!.startedAt);
        if (ranMs > pool.spec.timeoutSeconds * 1000) {
          this.timedOut(pool, env, invocation);
          return;
        }
        if (msg.ok) {
          invocation.onResultJson?.(msg.json);
          this.finish(pool, invocation, env, { ok: true, result: JSON.parse(msg.json) });
        } else {
          this.finish(pool, invocation, env, { ok: false, error: msg.error });
        }
        const next = env.next;
        env.next = undefined;
        if (next) {
          // Already in the environment, which has taken it (or is about to).
          this.run(pool, env, next, true);
          this.dispatch(pool);
        } else this.becomeIdle(pool, env);
      }
    }
  }

  /**
   * What the worker said before it ended: a result posted just before a crash is the invocation's (the crash is
   * the next one's, which it had taken).
   */
  private drain(pool: FunctionPool, env: Environment) {
    for (let queued = receiveMessageOnPort(env.port); queued; queued = receiveMessageOnPort(env.port)) {
      this.onMessage(pool, env, queued.message as WorkerMessage);
      if (env.state === 'gone') return;
    }
  }

  /** Answers a function's request to the local endpoint over its port, as the service would over HTTP. */
  private serveRequest(env: Environment, id: number, request: PortHttpRequest) {
    const reply = (message: Record<string, unknown>) => {
      // An environment that ended meanwhile (timeout, crash) gets no answer; its port is closed.
      if (env.state !== 'gone') env.port.postMessage({ kind: 'response', id, ...message });
    };
    const failed = (error: unknown) => reply({ ok: false, message: `local endpoint: ${String(error)}` });
    try {
      const endpoint = this.options.localEndpoint;
      if (!endpoint) throw new Error('this runtime serves no local endpoint');
      const response = endpoint.handle(request);
      if (response instanceof Promise) response.then((r) => reply({ ok: true, response: r }), failed);
      else reply({ ok: true, response });
    } catch (error) {
      failed(error);
    }
  }

  private becomeIdle(pool: FunctionPool, env: Environment) {
    env.state = 'idle';
    env.current = undefined;
    env.worker.unref();
    env.port.unref();
    this.armIdleTimer(pool, env);
    this.dispatch(pool);
    this.coldStartDone(env);
  }

  private armIdleTimer(pool: FunctionPool, env: Environment) {
    clearTimeout(env.timer);
    env.timer = setTimeout(() => {
      // Bounded warm pool: after a burst, environments beyond WARM_ENVIRONMENTS go away once they idle.
      const idle = [...pool.environments].filter((e) => e.state === 'idle').length;
      if (env.state === 'idle' && idle > WARM_ENVIRONMENTS) void this.discard(pool, env);
    }, IDLE_TIMEOUT_MS);
    env.timer.unref();
  }

  /**
   * Closing: an idle environment is handed to this process's parked environments instead of being stopped, for
   * a later runtime here that runs the same function with the same code and configuration.
   */
  private async park(pool: FunctionPool, env: Environment): Promise<number> {
    // The files it loaded from outside its bundle (the SDK, the project's node_modules): a later runtime takes it
    // only while none of them changed, as a changed deployment package gets fresh environments on Lambda.
    env.port.ref();
    const files = await new Promise<string[] | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), PARK_ASK_MS);
      env.loadedFiles = (loaded) => {
        clearTimeout(timer);
        resolve(loaded);
      };
      env.port.postMessage({ kind: 'loaded-files' });
    });
    env.loadedFiles = undefined;
    if (!files || env.state !== 'idle') return this.discard(pool, env, SHUTDOWN);
    pool.environments.delete(env);
    clearTimeout(env.timer);
    env.port.removeAllListeners('message');
    env.worker.removeAllListeners('error');
    env.worker.removeAllListeners('exit');
    PARKED.add({ code: pool.spec.code, config: this.configOf(pool), files, fingerprint: fingerprint(files), env });
    return 0;
  }

  /** Takes a parked environment of this function, if there is one, as an idle environment of this runtime. */
  private adoptParked(pool: FunctionPool): Environment | undefined {
    const env = PARKED.take(pool.spec.code, this.configOf(pool));
    if (!env) return undefined;
    pool.environments.add(env);
    this.listen(pool, env);
    // Idle, as becomeIdle leaves an environment: listening on its port referenced it, and an idle environment
    // must not keep the process alive (`run` references it while an invocation runs).
    env.worker.unref();
    env.port.unref();
    this.armIdleTimer(pool, env);
    return env;
  }

  /** Fails the next queued invocation: the one an environment that could not start was meant for. */
  private failNext(pool: FunctionPool, error: LambdaErrorPayload) {
    const invocation = pool.queue.shift();
    if (invocation) this.finish(pool, invocation, undefined, { ok: false, error });
  }

  /** Ends an environment, failing the invocation it runs (if any), and lets the queue use a fresh one. */
  private discard(pool: FunctionPool, env: Environment, error?: LambdaErrorPayload): Promise<number> {
    if (env.state === 'gone') return Promise.resolve(0);
    let running = env.current?.invocation;
    // Handed over and not taken yet: the current one when the environment ended before it took it, and the
    // next one (an environment running a handed-over invocation may hold the one after it as well).
    const handedOver: Invocation[] = [];
    if (running && env.current?.handedOver && workerStartedAt(env) === undefined) {
      handedOver.push(running);
      clearTimeout(env.current.timer);
      env.current = undefined;
      running = undefined;
    }
    if (running && error) this.finish(pool, running, env, { ok: false, error });
    if (env.next) handedOver.push(env.next);
    env.next = undefined;
    const requeued: Invocation[] = [];
    for (const invocation of handedOver) {
      // Not taken: it waits for another environment, as if it had never left the queue (in its order).
      const taken = Atomics.load(env.started.id, 0) === invocation.id;
      if (taken || this.closed) this.finish(pool, invocation, undefined, { ok: false, error: error ?? SHUTDOWN });
      else requeued.push(invocation);
    }
    pool.queue.unshift(...requeued);
    env.state = 'gone';
    env.current = undefined;
    env.cacheSaved?.();
    clearTimeout(env.timer);
    pool.environments.delete(env);
    env.port.close();
    const stopped = env.worker.terminate();
    this.dispatch(pool);
    this.coldStartDone(env);
    return stopped;
  }

  /** Ends one invocation: reports it, and resolves or rejects its caller. */
  private finish(
    pool: FunctionPool,
    invocation: Invocation,
    env: Environment | undefined,
    outcome: { ok: true; result: unknown } | { ok: false; error: LambdaErrorPayload },
  ) {
    const running = env?.current?.invocation === invocation ? env.current : undefined;
    if (env && running) {
      clearTimeout(running.timer);
      env.current = undefined;
    }
    const startedAt = running?.startedAt ?? Date.now();
    const record = {
      function: pool.spec.name,
      requestId: invocation.requestId,
      startedAt,
      durationMs: Date.now() - startedAt,
    };
    if (outcome.ok) {
      this.options.onInvocation?.(record);
      invocation.resolve(outcome.result);
    } else {
      this.options.onInvocation?.({ ...record, error: outcome.error });
      invocation.reject(new FunctionError(outcome.error));
    }
  }
}

/**
 * Idle environments of runtimes this process closed, kept for PARKED_MS for the next runtime that runs the same
 * function with the same code and configuration, as Lambda keeps a warm environment of a function that did not
 * change. It matters to processes that start one backend after another: the in-process command tests (most of
 * the 700 environments one `npm test` started were the same functions again, at 50-150 ms of CPU each) and
 * `serve` after a redeploy that left a function unchanged. A CLI command's process exits with its parked
 * environments: nothing of theirs keeps it alive (worker, port and timer are unreferenced).
 */
interface ParkedEnvironment {
  code: string;
  config: string;
  /** The files the environment loaded besides its bundle, and their fingerprint when it was parked. */
  files: string[];
  fingerprint: string;
  env: Environment;
}

class ParkedEnvironments {
  private readonly entries: Array<ParkedEnvironment & { timer: NodeJS.Timeout }> = [];

  add(parked: ParkedEnvironment) {
    const { env } = parked;
    env.worker.unref();
    env.port.unref();
    const entry = { ...parked, timer: setTimeout(() => void this.stop(entry), PARKED_MS) };
    entry.timer.unref();
    // A parked environment that ends by itself is simply gone (an uncaught error in a timer of the function's).
    env.worker.on('error', () => void this.stop(entry));
    env.worker.on('exit', () => void this.stop(entry));
    this.entries.push(entry);
    while (this.entries.length > MAX_PARKED) void this.stop(this.entries[0]);
  }

  take(code: string, config: string): Environment | undefined {
    // A copy: a stale entry is stopped (and taken out of the list) on the way.
    for (const entry of [...this.entries]) {
      if (entry.config !== config || entry.code !== code) continue;
      if (fingerprint(entry.files) !== entry.fingerprint) {
        // A module it loaded changed on disk (an `npm install`): stale, never taken.
        void this.stop(entry);
        continue;
      }
      this.entries.splice(this.entries.indexOf(entry), 1);
      clearTimeout(entry.timer);
      entry.env.worker.removeAllListeners('error');
      entry.env.worker.removeAllListeners('exit');
      return entry.env;
    }
    return undefined;
  }

  /** Stops every parked environment (for tests of cold starts; a process that exits needs no call). */
  async clear(): Promise<void> {
    await Promise.all([...this.entries].map((entry) => this.stop(entry)));
  }

  private stop(entry: ParkedEnvironment & { timer: NodeJS.Timeout }): Promise<number> {
    const at = this.entries.indexOf(entry);
    if (at < 0) return Promise.resolve(0);
    this.entries.splice(at, 1);
    clearTimeout(entry.timer);
    entry.env.state = 'gone';
    entry.env.port.close();
    return entry.env.worker.terminate();
  }
}

const PARKED = new ParkedEnvironments();

/**
 * Each file's identity and last change (inode, size, modification and change times); a missing file counts. The
 * files are the CommonJS modules an environment required (bundles are CommonJS); an ES module a handler imports
 * dynamically is not among them.
 */
function fingerprint(files: readonly string[]): string {
  return files
    .map((file) => {
      const stat = statSync(file, { throwIfNoEntry: false, bigint: true });
      return stat ? `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}` : '-';
    })
    .join('\n');
}
/**
 * Invocation ids, unique in the process: an environment's shared start record holds the id of the last one it took,
 * which must never equal a new one's in the next runtime that takes the environment over.
 */
let nextInvocationId = 1;

/** Stops the environments closed runtimes of this process parked (see ParkedEnvironments): the next start is cold. */
export function stopParkedEnvironments(): Promise<void> {
  return PARKED.clear();
}

const SHUTDOWN: LambdaErrorPayload = {
  errorType: 'Lambda.ServiceException',
  errorMessage: 'The local Lambda runtime is shutting down',
  trace: [],
};

type WorkerMessage =
  | { kind: 'log'; level: FunctionLogLine['level']; requestId: string; message: string; timestamp: number }
  | { kind: 'ready'; codeCache?: CodeCacheCounts }
  | { kind: 'init-error'; error: LambdaErrorPayload }
  | { kind: 'request'; id: number; request: PortHttpRequest }
  | { kind: 'result'; id: number; at: number; savesCache?: true; ok: true; json: string }
  | { kind: 'result'; id: number; at: number; savesCache?: true; ok: false; error: LambdaErrorPayload }
  | { kind: 'cache-saved' }
  | { kind: 'loaded-files'; files: string[] };

/** Modules (bundles included) an environment's init took from the code cache, and compiled from source. */
export interface CodeCacheCounts {
  used: number;
  compiled: number;
}

/**
 * The size of an environment's shared start record. The worker used to post a 'started' message per
 * invocation; a shared record says the same without a message (a third of the port traffic per invocation).
 */
const STARTED_BYTES = 16;

/** When the environment's worker took its current invocation (undefined while it has not yet). */
function workerStartedAt(env: Environment): number | undefined {
  const invocation = env.current?.invocation;
  return invocation && Atomics.load(env.started.id, 0) === invocation.id ? env.started.time[0] : undefined;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0];
}

/**
 * What the SDK inside a function sees besides the function's own variables: the endpoint overrides the user
 * set for fulfill (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, e.g. their own emulator) and credentials
 * from the environment or placeholders, so a client can be built without a profile lookup. The function's
 * environment (and the local bus's own endpoint in events mode) take precedence.
 */
function sdkEnvironment(region: string): Record<string, string> {
  const env = process.env;
  const endpoints = Object.entries(env).filter(
    ([key, value]) => value && (key === 'AWS_ENDPOINT_URL' || key.startsWith('AWS_ENDPOINT_URL_')),
  );
  // The user's own credentials go only to the user's own endpoints: without an override, a call from a local
  // function must not reach a real AWS account, so it gets placeholders (and fails to authenticate there).
  const credentials =
    endpoints.length > 0 && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
          AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { AWS_SESSION_TOKEN: env.AWS_SESSION_TOKEN } : {}),
        }
      : { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
  return {
    ...(Object.fromEntries(endpoints) as Record<string, string>),
    ...credentials,
    // Lambda sets the region of the function; the local runtime is Node 20 where Lambda's is 22, so the SDK's
    // Node-version notice is not the function's output.
    ...(region ? { AWS_REGION: region, AWS_DEFAULT_REGION: region } : {}),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** A file inside fulfill's package, so `require('@aws-sdk/...')` in a bundle resolves fulfill's dependencies. */
const REQUIRE_FROM = join(dirname(fileURLToPath(import.meta.url)), 'lambda.js');

/** Where the build puts the vendored SDK clients: fulfill's dist/vendor, from the sources (tests) and dist alike. */
const VENDOR_DIR = join(dirname(REQUIRE_FROM), '..', '..', '..', 'dist', 'vendor');
let runtimeSdk: Record<string, string> | undefined;
/** runtimeSdkFrom(VENDOR_DIR), read once per process. */
function runtimeSdkBundles(): Record<string, string> {
  return (runtimeSdk ??= runtimeSdkFrom(VENDOR_DIR));
}

/**
 * The SDK clients fulfill vendored (scripts/vendor.js: `runtime-sdk.json` in `vendorDir`), package name -> bundle
 * file, that an environment loads instead of fulfill's own copy in node_modules: one CommonJS file instead of
 * about 25 to resolve, read and look up in the code cache. The bundle is the installed package's code, unchanged,
 * at the same version (a bundle whose version is not the installed one is not used: a build older than the last
 * `npm install`), so a function runs the same SDK either way, as on Lambda, whose runtime also provides the SDK as
 * one copy of its own. A client the project installed itself still wins: only a request that would reach
 * fulfill's node_modules gets the bundle. Under the tests (TypeScript sources) these are the build's bundles too;
 * without a build (or a manifest) there are none and every client comes from node_modules, as before.
 */
export function runtimeSdkFrom(vendorDir: string): Record<string, string> {
  const bundles: Record<string, string> = {};
  let manifest: Record<string, { file: string; version: string }>;
  try {
    manifest = JSON.parse(readFileSync(join(vendorDir, 'runtime-sdk.json'), 'utf8')) as typeof manifest;
  } catch {
    return bundles;
  }
  const fromFulfill = createRequire(REQUIRE_FROM);
  for (const [name, { file, version }] of Object.entries(manifest)) {
    try {
      const installed = JSON.parse(readFileSync(fromFulfill.resolve(`${name}/package.json`), 'utf8')) as {
        version: string;
      };
      if (installed.version === version && existsSync(join(vendorDir, file))) bundles[name] = join(vendorDir, file);
    } catch {
      // Not installed with fulfill: the request resolves (or fails) as before.
    }
  }
  return bundles;
}
