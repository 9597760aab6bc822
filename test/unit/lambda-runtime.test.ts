import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { LocalLambda, type FunctionLogLine, type LocalFunctionSpec } from '../../src/lib/local/lambda.js';
import { FunctionError } from '../../src/lib/runtime/lambda-error.js';
import { tempDir } from '../helpers/cli.js';

const fn = (name: string, code: string, overrides: Partial<LocalFunctionSpec> = {}): LocalFunctionSpec => ({
  name,
  functionName: `fulfill-t-test-${name}`,
  functionArn: `arn:aws:lambda:eu-central-1:000000000000:function:fulfill-t-test-${name}`,
  code,
  timeoutSeconds: 2,
  memoryMb: 128,
  environment: { GREETING: 'hello' },
  ...overrides,
});

describe('the local Lambda runtime', () => {
  let lambda: LocalLambda | undefined;
  afterEach(async () => lambda?.close());

  it('passes the event and a Lambda-shaped context, and returns the result', async () => {
    lambda = new LocalLambda([
      fn(
        'echo',
        `exports.handler = async (event, context) => ({ event, requestId: context.awsRequestId, name: context.functionName, remaining: context.getRemainingTimeInMillis(), env: process.env.GREETING, fnEnv: process.env.AWS_LAMBDA_FUNCTION_NAME });`,
      ),
    ]);
    const result = (await lambda.invoke('echo', { a: 1 })) as Record<string, unknown>;
    expect(result).toMatchObject({
      event: { a: 1 },
      name: 'fulfill-t-test-echo',
      env: 'hello',
      fnEnv: 'fulfill-t-test-echo',
    });
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.remaining).toBeGreaterThan(1000);
    expect(result.remaining).toBeLessThanOrEqual(2000);
  });

  it('reports a thrown error with errorType and errorMessage, as Step Functions sees it', async () => {
    lambda = new LocalLambda([
      fn(
        'boom',
        `class PaymentAuthorizationFailed extends Error { constructor() { super('Payment Authorization Failed'); this.name = 'PaymentAuthorizationFailed'; } }\nexports.handler = async () => { throw new PaymentAuthorizationFailed(); };`,
      ),
    ]);
    const error = await lambda.invoke('boom', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as FunctionError).name).toBe('PaymentAuthorizationFailed');
    expect(JSON.parse((error as FunctionError).message)).toMatchObject({
      errorType: 'PaymentAuthorizationFailed',
      errorMessage: 'Payment Authorization Failed',
    });
  });

  it('times out a stuck invocation with Sandbox.Timedout and gives the next one a fresh environment', async () => {
    lambda = new LocalLambda([
      fn(
        'slow',
        `let calls = 0; exports.handler = async (e) => { calls++; if (e.spin) { for (;;) {} } return calls; };`,
        { timeoutSeconds: 1 },
      ),
    ]);
    const error = await lambda.invoke('slow', { spin: true }).catch((e: unknown) => e);
    expect((error as FunctionError).payload).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    // A fresh environment: module state starts over.
    expect(await lambda.invoke('slow', {})).toBe(1);
  });

  it('isolates functions: a crash in one leaves the others running', async () => {
    lambda = new LocalLambda([
      fn(
        'crash',
        `exports.handler = async () => { setImmediate(() => { throw new Error('uncaught'); }); await new Promise((r) => setTimeout(r, 500)); return 'never'; };`,
      ),
      fn('ok', `exports.handler = async () => 'fine';`),
    ]);
    const error = await lambda.invoke('crash', {}).catch((e: unknown) => e);
    expect((error as FunctionError).payload.errorType).toBe('Runtime.ExitError');
    expect(await lambda.invoke('ok', {})).toBe('fine');
  });

  it('prewarms only the functions named, and starts the others on their first invocation', async () => {
    const code = `exports.handler = async () => process.env.AWS_LAMBDA_FUNCTION_NAME;`;
    lambda = new LocalLambda([fn('first', code), fn('later', code)]);
    lambda.prewarm(['first']);
    expect(lambda.stats()).toMatchObject({ first: { environments: 1, starting: 1 }, later: { environments: 0 } });
    expect(await lambda.invoke('later', {})).toBe('fulfill-t-test-later');
    expect(lambda.stats()).toMatchObject({ first: { environments: 1 }, later: { environments: 1 } });
  });

  it('reports a bundle that does not export handler, and an unknown function', async () => {
    lambda = new LocalLambda([fn('nohandler', `exports.other = 1;`)]);
    expect(((await lambda.invoke('nohandler', {}).catch((e: unknown) => e)) as FunctionError).payload.errorType).toBe(
      'Runtime.HandlerNotFound',
    );
    expect(((await lambda.invoke('missing', {}).catch((e: unknown) => e)) as FunctionError).payload.errorType).toBe(
      'ResourceNotFoundException',
    );
  });

  it('captures console output per request, tagged with the order', async () => {
    const lines: FunctionLogLine[] = [];
    lambda = new LocalLambda(
      [fn('talk', `exports.handler = async (e) => { console.log('processing', e.orderId); return null; };`)],
      { onLog: (l) => lines.push(l) },
    );
    await lambda.invoke('talk', { orderId: 'o-1' }, { orderId: 'o-1' });
    expect(lines).toEqual([
      expect.objectContaining({ function: 'talk', level: 'log', message: 'processing o-1', orderId: 'o-1' }),
    ]);
  });

  it('provides the AWS SDK to bundles, as the Lambda Node.js runtime does', async () => {
    lambda = new LocalLambda([
      fn(
        'sdk',
        `const { EventBridgeClient } = require('@aws-sdk/client-eventbridge'); exports.handler = async () => typeof EventBridgeClient;`,
      ),
    ]);
    expect(await lambda.invoke('sdk', {})).toBe('function');
  });

  // A handler stuck for good without burning a core for its whole timeout: the thread blocks and never yields, as
  // `for (;;) {}` does (the stuck-invocation test above spins for real); the runtime must end it all the same.
  const BLOCKED_FOREVER = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);';
  // Each environment draws an id when its module loads: distinct ids mean distinct execution environments.
  const ENV_ID = `const envId = Math.random().toString(36).slice(2); const sleep = (ms) => new Promise((r) => setTimeout(r, ms));`;

  it('gives each concurrent invocation its own environment, up to the concurrency limit, and queues the rest', async () => {
    // The three long invocations hold their environments until all three have started (a file each tells the
    // test so; a gate file releases them): proof that none finished before the others started, without a sleep.
    const gate = tempDir('fulfill-lambda-gate-');
    try {
      lambda = new LocalLambda([
        fn(
          'env',
          `${ENV_ID} const fs = require('node:fs'); let running = 0; exports.handler = async (e) => { running++; const overlap = running; if (e.gate) { fs.writeFileSync(e.gate + '/started-' + envId, ''); while (!fs.existsSync(e.gate + '/go')) await sleep(10); } else await sleep(e.ms); running--; return { envId, overlap }; };`,
          { concurrency: 3, timeoutSeconds: 60 },
        ),
      ]);
      const longRuns = Array.from({ length: 3 }, () => lambda!.invoke('env', { gate: gate.dir }));
      const deadline = Date.now() + 50_000;
      while (readdirSync(gate.dir).filter((f) => f.startsWith('started-')).length < 3) {
        if (Date.now() > deadline)
          throw new Error(`three environments did not start: ${readdirSync(gate.dir).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      writeFileSync(join(gate.dir, 'go'), '');
      const long = (await Promise.all(longRuns)) as Array<{ envId: string; overlap: number }>;
      expect(new Set(long.map((r) => r.envId)).size).toBe(3);
      // Nine more: never more than three environments, and one invocation at a time in each, as on Lambda.
      const short = (await Promise.all(Array.from({ length: 9 }, () => lambda!.invoke('env', { ms: 100 })))) as Array<{
        envId: string;
        overlap: number;
      }>;
      expect([...long, ...short].every((r) => r.overlap === 1)).toBe(true);
      expect(new Set([...long, ...short].map((r) => r.envId)).size).toBe(3);
      expect(lambda.stats().env).toMatchObject({ environments: 3, busy: 0, queued: 0 });
    } finally {
      gate.cleanup();
    }
  }, 60_000);

  it('does not count queue time against the timeout', async () => {
    lambda = new LocalLambda([
      fn('queued', `${ENV_ID} exports.handler = async () => { await sleep(400); return 'done'; };`, {
        timeoutSeconds: 1,
        concurrency: 1,
      }),
    ]);
    // Three invocations of 0.4 s each through one environment: 1.2 s in all, each well inside its own second.
    expect(
      await Promise.all([lambda.invoke('queued', {}), lambda.invoke('queued', {}), lambda.invoke('queued', {})]),
    ).toEqual(['done', 'done', 'done']);
  });

  it('hands the next invocation to a busy environment at the limit, and gives it to a fresh one if that ends', async () => {
    lambda = new LocalLambda([
      fn(
        'busy',
        `${ENV_ID} exports.handler = async (e) => { if (e.spin) { ${BLOCKED_FOREVER} } if (e.crash) { setImmediate(() => { throw new Error('uncaught'); }); await sleep(500); } await sleep(e.ms ?? 0); return envId; };`,
        { timeoutSeconds: 1, concurrency: 1 },
      ),
    ]);
    // One environment: the second waits in it while the first runs, and starts as soon as the first ends.
    const [first, second] = (await Promise.all([
      lambda.invoke('busy', { ms: 300 }),
      lambda.invoke('busy', { ms: 300 }),
    ])) as string[];
    expect(second).toBe(first);
    // The first times out (its environment ends) or crashes it: the one waiting behind it had not started,
    // so it runs in a fresh environment instead of failing with it.
    for (const fatal of [{ spin: true }, { crash: true }]) {
      const [failed, waited] = await Promise.all([
        lambda.invoke('busy', fatal).catch((e: unknown) => e),
        lambda.invoke('busy', {}),
      ]);
      expect((failed as FunctionError).payload.errorType).toBe(fatal.spin ? 'Sandbox.Timedout' : 'Runtime.ExitError');
      expect(typeof waited).toBe('string');
      expect(waited).not.toBe(first);
    }
    expect(lambda.stats().busy).toMatchObject({ environments: 1, busy: 0, queued: 0 });
  }, 60_000);

  it('ends only the timed-out environment: invocations running beside it succeed', async () => {
    lambda = new LocalLambda([
      fn(
        'mixed',
        `${ENV_ID} exports.handler = async (e) => { if (e.spin) { ${BLOCKED_FOREVER} } await sleep(300); return envId; };`,
        { timeoutSeconds: 1, concurrency: 4 },
      ),
    ]);
    const spinning = lambda.invoke('mixed', { spin: true }).catch((e: unknown) => e);
    const others = Array.from({ length: 6 }, () => lambda!.invoke('mixed', {}));
    const error = (await spinning) as FunctionError;
    expect(error.payload.errorType).toBe('Sandbox.Timedout');
    const ids = (await Promise.all(others)) as string[];
    expect(ids).toHaveLength(6);
    // And after the timeout the function keeps serving.
    expect(typeof (await lambda.invoke('mixed', {}))).toBe('string');
  });

  it('kills an environment that exceeds memoryMb and reports Runtime.OutOfMemory', async () => {
    lambda = new LocalLambda([
      fn(
        'hog',
        `const keep = []; exports.handler = async (e) => { if (e.hog) { for (;;) keep.push(new Array(1e6).fill(Math.random())); } return 'ok'; };`,
        { memoryMb: 128, timeoutSeconds: 30 },
      ),
    ]);
    const error = (await lambda.invoke('hog', { hog: true }).catch((e: unknown) => e)) as FunctionError;
    expect(error.payload.errorType).toBe('Runtime.OutOfMemory');
    expect(error.payload.errorMessage).toMatch(
      /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: out of memory/,
    );
    expect(await lambda.invoke('hog', {})).toBe('ok');
  }, 60_000);

  it('fails a result that is not JSON-serializable with one clean Lambda error, and keeps the environment', async () => {
    lambda = new LocalLambda([
      fn(
        'bad',
        `${ENV_ID} exports.handler = async (e) => { if (e.kind === 'circular') { const a = {}; a.self = a; return a; } if (e.kind === 'bigint') return { n: 1n }; return { envId, when: new Date(0), fn: () => 1 }; };`,
      ),
    ]);
    for (const kind of ['circular', 'bigint']) {
      const error = (await lambda.invoke('bad', { kind }).catch((e: unknown) => e)) as FunctionError;
      expect(error.payload).toEqual({
        errorType: 'Runtime.JSONStringifyError',
        errorMessage: 'Unable to stringify response body',
        trace: [],
      });
    }
    // As on Lambda the result goes through JSON: dates become strings, functions disappear.
    expect(await lambda.invoke('bad', {})).toEqual({ envId: expect.any(String), when: '1970-01-01T00:00:00.000Z' });
    expect(lambda.stats().bad.environments).toBe(1);
  });

  it('reports code that fails to load, and a missing module, as Lambda init errors', async () => {
    lambda = new LocalLambda([
      fn('broken', `throw new TypeError('boom at load');`),
      fn('nomod', `require('@aws-sdk/client-not-a-service'); exports.handler = async () => 1;`),
    ]);
    const broken = (await lambda.invoke('broken', {}).catch((e: unknown) => e)) as FunctionError;
    expect(broken.payload).toMatchObject({
      errorType: 'Runtime.UserCodeSyntaxError',
      errorMessage: 'TypeError: boom at load',
    });
    const missing = (await lambda.invoke('nomod', {}).catch((e: unknown) => e)) as FunctionError;
    expect(missing.payload.errorType).toBe('Runtime.ImportModuleError');
    expect(missing.payload.errorMessage).toContain("Cannot find module '@aws-sdk/client-not-a-service'");
  });

  it('resolves SDK clients from the project first, then from fulfill', async () => {
    const tmp = tempDir();
    try {
      const pkg = join(tmp.dir, 'node_modules', '@aws-sdk', 'client-dynamodb');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({ name: '@aws-sdk/client-dynamodb', version: '0.0.0-test', main: 'index.js' }),
      );
      writeFileSync(
        join(pkg, 'index.js'),
        `exports.DynamoDBClient = class DynamoDBClient {}; exports.from = 'project';`,
      );
      lambda = new LocalLambda([
        fn(
          'ddb',
          `const ddb = require('@aws-sdk/client-dynamodb'); const eb = require('@aws-sdk/client-eventbridge'); exports.handler = async () => [ddb.from, typeof eb.EventBridgeClient];`,
          { requireFrom: [join(tmp.dir, 'package.json')] },
        ),
      ]);
      expect(await lambda.invoke('ddb', {})).toEqual(['project', 'function']);
    } finally {
      tmp.cleanup();
    }
  });

  it('sends SDK calls from handlers to AWS_ENDPOINT_URL_<SERVICE> when the user set it', async () => {
    const requests: Array<{ target: string | undefined; auth: string | undefined }> = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests.push({ target: req.headers['x-amz-target'] as string | undefined, auth: req.headers.authorization });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            stateMachines: [
              {
                name: 'from-stub',
                stateMachineArn: 'arn:aws:states:eu-central-1:000000000000:stateMachine:from-stub',
                type: 'STANDARD',
                creationDate: 0,
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    process.env.AWS_ENDPOINT_URL_SFN = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEMULATOR';
    process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';
    try {
      lambda = new LocalLambda([
        fn(
          'sfn',
          `const { SFNClient, ListStateMachinesCommand } = require('@aws-sdk/client-sfn'); exports.handler = async () => (await new SFNClient({}).send(new ListStateMachinesCommand({}))).stateMachines.map((m) => m.name);`,
          { timeoutSeconds: 20 },
        ),
      ]);
      expect(await lambda.invoke('sfn', {})).toEqual(['from-stub']);
      expect(requests).toEqual([
        { target: 'AWSStepFunctions.ListStateMachines', auth: expect.stringContaining('Credential=AKIDEMULATOR/') },
      ]);
      expect(requests[0].auth).toContain('/eu-central-1/states/');
    } finally {
      process.env = saved;
      server.close();
    }
  }, 30_000);
});
