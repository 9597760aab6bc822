import { afterEach, describe, expect, it } from '@jest/globals';
import { LocalLambda, type FunctionLogLine, type LocalFunctionSpec } from '../../src/lib/local/lambda.js';
import { FunctionError } from '../../src/lib/runtime/lambda-error.js';

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
      fn('echo', `exports.handler = async (event, context) => ({ event, requestId: context.awsRequestId, name: context.functionName, remaining: context.getRemainingTimeInMillis(), env: process.env.GREETING, fnEnv: process.env.AWS_LAMBDA_FUNCTION_NAME });`),
    ]);
    const result = (await lambda.invoke('echo', { a: 1 })) as Record<string, unknown>;
    expect(result).toMatchObject({ event: { a: 1 }, name: 'fulfill-t-test-echo', env: 'hello', fnEnv: 'fulfill-t-test-echo' });
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.remaining).toBeGreaterThan(1000);
    expect(result.remaining).toBeLessThanOrEqual(2000);
  });

  it('reports a thrown error with errorType and errorMessage, as Step Functions sees it', async () => {
    lambda = new LocalLambda([fn('boom', `class PaymentAuthorizationFailed extends Error { constructor() { super('Payment Authorization Failed'); this.name = 'PaymentAuthorizationFailed'; } }\nexports.handler = async () => { throw new PaymentAuthorizationFailed(); };`)]);
    const error = await lambda.invoke('boom', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as FunctionError).name).toBe('PaymentAuthorizationFailed');
    expect(JSON.parse((error as FunctionError).message)).toMatchObject({ errorType: 'PaymentAuthorizationFailed', errorMessage: 'Payment Authorization Failed' });
  });

  it('times out a stuck invocation with Sandbox.Timedout and gives the next one a fresh environment', async () => {
    lambda = new LocalLambda([fn('slow', `let calls = 0; exports.handler = async (e) => { calls++; if (e.spin) { for (;;) {} } return calls; };`, { timeoutSeconds: 1 })]);
    const error = await lambda.invoke('slow', { spin: true }).catch((e: unknown) => e);
    expect((error as FunctionError).payload).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' });
    // A fresh environment: module state starts over.
    expect(await lambda.invoke('slow', {})).toBe(1);
  });

  it('isolates functions: a crash in one leaves the others running', async () => {
    lambda = new LocalLambda([fn('crash', `exports.handler = async () => { setImmediate(() => { throw new Error('uncaught'); }); await new Promise((r) => setTimeout(r, 500)); return 'never'; };`), fn('ok', `exports.handler = async () => 'fine';`)]);
    const error = await lambda.invoke('crash', {}).catch((e: unknown) => e);
    expect((error as FunctionError).payload.errorType).toBe('Runtime.ExitError');
    expect(await lambda.invoke('ok', {})).toBe('fine');
  });

  it('reports a bundle that does not export handler, and an unknown function', async () => {
    lambda = new LocalLambda([fn('nohandler', `exports.other = 1;`)]);
    expect(((await lambda.invoke('nohandler', {}).catch((e: unknown) => e)) as FunctionError).payload.errorType).toBe('Runtime.HandlerNotFound');
    expect(((await lambda.invoke('missing', {}).catch((e: unknown) => e)) as FunctionError).payload.errorType).toBe('ResourceNotFoundException');
  });

  it('captures console output per request, tagged with the order', async () => {
    const lines: FunctionLogLine[] = [];
    lambda = new LocalLambda([fn('talk', `exports.handler = async (e) => { console.log('processing', e.orderId); return null; };`)], { onLog: (l) => lines.push(l) });
    await lambda.invoke('talk', { orderId: 'o-1' }, { orderId: 'o-1' });
    expect(lines).toEqual([expect.objectContaining({ function: 'talk', level: 'log', message: 'processing o-1', orderId: 'o-1' })]);
  });

  it('provides the AWS SDK to bundles, as the Lambda Node.js runtime does', async () => {
    lambda = new LocalLambda([fn('sdk', `const { EventBridgeClient } = require('@aws-sdk/client-eventbridge'); exports.handler = async () => typeof EventBridgeClient;`)]);
    expect(await lambda.invoke('sdk', {})).toBe('function');
  });
});
