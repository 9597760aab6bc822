import { describe, expect, it } from '@jest/globals';
import type { ApiModel } from '../../src/lib/api/model.js';
import {
  errorResponseTemplate,
  startExecutionResponseTemplate,
  startExecutionTemplate,
} from '../../src/lib/api/templates.js';
import { LocalApi, MAX_BODY_BYTES, type ApiRequest } from '../../src/lib/local/api.js';
import { LocalServiceError } from '../../src/lib/local/aws-errors.js';
import type { Recorder } from '../../src/lib/local/recorder.js';
import { orderJsonSchema } from '../../src/lib/order/model.js';

// The local API in process, with the orchestration integration's real templates and a recording integration:
// what API Gateway answers for each kind of request, and what reaches StartExecution.
const ARN = 'arn:aws:states:eu-central-1:000000000000:stateMachine:fulfill-shop-test-workflow';
const model = (overrides: Partial<ApiModel> = {}): ApiModel => ({
  resourcePath: '/orders',
  integration: { service: 'states', action: 'StartExecution' },
  requestTemplate: startExecutionTemplate(ARN),
  responseTemplate: startExecutionResponseTemplate(),
  errorTemplate: errorResponseTemplate(),
  requestModel: orderJsonSchema(),
  corsOrigins: ['https://shop.example'],
  throttle: { rateLimit: 2, burstLimit: 2 },
  ...overrides,
});
const order = (orderId = 'o-1') => ({
  orderId,
  customerId: 'c-1',
  paymentInstrumentType: 'creditCard',
  sellerId: 'shop',
  currency: 'EUR',
  items: [{ sku: 's', quantity: 1, unitPrice: 10 }],
  shipTo: { country: 'DE', postalCode: '10115' },
});

type Recorded = { orderId: string; type: string; details: Record<string, unknown> | undefined };

function api(options: { model?: Partial<ApiModel>; action?: (request: unknown) => unknown; now?: () => number } = {}) {
  const calls: unknown[] = [];
  const entries: Recorded[] = [];
  const recorder = {
    record: (orderId: string, _source: string, type: string, entry: { details?: Record<string, unknown> }) =>
      void entries.push({ orderId, type, details: entry.details }),
  } as unknown as Recorder;
  const action = (request: unknown) => {
    calls.push(request);
    return options.action
      ? options.action(request)
      : { executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:o-1`, startDate: 1767225600 };
  };
  const local = new LocalApi(model(options.model), 'test', action, recorder, options.now);
  const post = (body: string, extra: Partial<ApiRequest> = {}) =>
    local.handle({ method: 'POST', path: '/orders', body, ...extra });
  return { local, calls, entries, post };
}

describe('local API (POST /orders)', () => {
  it('renders the request template into StartExecution and the response template over its answer', async () => {
    const { post, calls, entries } = api();
    const response = await post(JSON.stringify(order()), { headers: { 'Content-Type': 'application/json' } });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      orderId: 'o-1',
      executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:o-1`,
      startDate: 1767225600,
    });
    expect(calls).toHaveLength(1);
    const request = calls[0] as { stateMachineArn: string; name: string; input: string };
    expect(request.stateMachineArn).toBe(ARN);
    expect(request.name).toBe('o-1');
    expect(JSON.parse(request.input)).toMatchObject(order());
    expect(entries.map((e) => [e.orderId, e.type])).toEqual([['o-1', 'ApiRequestReceived']]);
    expect(response.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['not JSON', '{"orderId": ', 400, { message: 'Invalid request body', details: 'body is not valid JSON' }],
    [
      'an order without items',
      JSON.stringify({ ...order(), items: undefined }),
      400,
      { message: 'Invalid request body', details: expect.stringMatching(/^items: /) },
    ],
    [
      'a body over the limit',
      JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) }),
      413,
      { message: 'Request Too Long' },
    ],
  ])('refuses %s without calling the integration', async (_what, body, status, answer) => {
    const { post, calls } = api();
    const response = await post(body);
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toEqual(answer);
    expect(calls).toEqual([]);
  });

  it('records a rejection under the order id when the body names one', async () => {
    const { post, entries } = api();
    await post(JSON.stringify({ ...order('o-bad'), currency: 7 }));
    expect(entries).toEqual([
      expect.objectContaining({
        orderId: 'o-bad',
        type: 'ApiRequestRejected',
        details: expect.objectContaining({ statusCode: 400 }),
      }),
    ]);
  });

  it('answers other routes, methods and content types as API Gateway does', async () => {
    const { local, calls } = api();
    const body = JSON.stringify(order());
    const status = async (request: ApiRequest) => (await local.handle(request)).statusCode;
    expect(await status({ method: 'POST', path: '/nope', body })).toBe(404);
    expect(await status({ method: 'GET', path: '/orders' })).toBe(403);
    expect(await status({ method: 'POST', path: '/orders', body, headers: { 'content-type': 'text/plain' } })).toBe(
      415,
    );
    // A trailing slash and a query string are the same resource.
    expect(await status({ method: 'POST', path: '/orders/?x=1', body })).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('CORS: a preflight from a configured origin is allowed, any other origin gets no CORS headers', async () => {
    const { local } = api();
    const allowed = await local.handle({
      method: 'OPTIONS',
      path: '/orders',
      headers: { Origin: 'https://shop.example' },
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example',
      'access-control-allow-methods': 'OPTIONS,POST,GET',
      vary: 'Origin',
    });
    const other = await local.handle({
      method: 'OPTIONS',
      path: '/orders',
      headers: { Origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const star = api({ model: { corsOrigins: ['*'] } });
    const any = await star.local.handle({
      method: 'OPTIONS',
      path: '/orders',
      headers: { origin: 'https://a.example' },
    });
    expect(any.headers['access-control-allow-origin']).toBe('*');
    expect(any.headers.vary).toBeUndefined();
  });

  it("an integration's client error is a 400 with the error template's body; any other failure a 500", async () => {
    const refused = api({
      action: () => {
        throw new LocalServiceError('ExecutionAlreadyExists', "Execution Already Exists: 'o-1'");
      },
    });
    const conflict = await refused.post(JSON.stringify(order()));
    expect(conflict.statusCode).toBe(400);
    expect(JSON.parse(conflict.body)).toEqual({
      message: "Execution Already Exists: 'o-1'",
      type: 'ExecutionAlreadyExists',
    });
    expect(refused.entries.map((e) => e.type)).toEqual(['ApiRequestReceived', 'ApiRequestRejected']);

    const crashed = api({ action: () => Promise.reject(new Error('disk full')) });
    const failed = await crashed.post(JSON.stringify(order()));
    expect(failed.statusCode).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ message: 'disk full', type: 'Error' });
  });

  it('a request template that fails to render is a 500 (as API Gateway answers) and calls nothing', async () => {
    const broken = api({ model: { requestTemplate: '#if($input.body' } });
    const response = await broken.post(JSON.stringify(order()));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ type: 'MappingTemplateError' });
    expect(broken.calls).toEqual([]);
  });

  it('throttles only requests that ask for it: a burst, then 429 until the bucket refills at the rate', async () => {
    let now = 0;
    const { post, calls } = api({ now: () => now });
    const body = JSON.stringify(order());
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await post(body, { throttle: true })).statusCode);
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    // In-process callers (send-order, the bench) are not throttled.
    expect((await post(body)).statusCode).toBe(200);
    now += 500; // rate 2/s: one token back
    expect(await statuses(2)).toEqual([200, 429]);
    now += 10_000; // never more than the burst
    expect(await statuses(3)).toEqual([200, 200, 429]);
    expect(calls).toHaveLength(6);
  });
});
