import { describe, expect, it } from '@jest/globals';
import type { ApiModel } from '../../../src/lib/api/model.js';
import { LocalApi } from '../../../src/lib/local/api.js';

const model = (rateLimit: number, burstLimit: number): ApiModel => ({
  resourcePath: '/orders',
  integration: { service: 'states', action: 'StartExecution' },
  requestTemplate: '{}',
  responseTemplate: '{}',
  errorTemplate: '{}',
  requestModel: {},
  corsOrigins: [],
  throttle: { rateLimit, burstLimit },
});

describe('the local API throttles like an API Gateway stage', () => {
  it('lets a burst through, answers 429 with API Gateway’s body, and refills at the rate', async () => {
    let now = 1_000_000;
    const api = new LocalApi(
      model(2, 3),
      'test',
      () => ({}),
      undefined,
      () => now,
    );
    // OPTIONS needs no integration: each request is only the throttle decision.
    const ask = async () => (await api.handle({ method: 'OPTIONS', path: '/orders', throttle: true })).statusCode;
    expect([await ask(), await ask(), await ask()]).toEqual([200, 200, 200]);
    const throttled = await api.handle({ method: 'OPTIONS', path: '/orders', throttle: true });
    expect(throttled.statusCode).toBe(429);
    expect(JSON.parse(throttled.body)).toEqual({ message: 'Too Many Requests' });
    now += 500; // 2 per second: one token back
    expect([await ask(), await ask()]).toEqual([200, 429]);
    now += 10_000; // never more than the burst
    expect([await ask(), await ask(), await ask(), await ask()]).toEqual([200, 200, 200, 429]);
  });

  it('does not throttle in-process callers (send-order, the bench)', async () => {
    const api = new LocalApi(
      model(1, 1),
      'test',
      () => ({}),
      undefined,
      () => 0,
    );
    for (let i = 0; i < 5; i++) expect((await api.handle({ method: 'OPTIONS', path: '/orders' })).statusCode).toBe(200);
  });

  it.each([['text/plain'], ['application/xml'], ['multipart/form-data; boundary=x']])(
    'refuses %s with 415',
    async (type) => {
      const api = new LocalApi(model(50, 100), 'test', () => ({}));
      const response = await api.handle({
        method: 'POST',
        path: '/orders',
        body: '{}',
        headers: { 'Content-Type': type },
      });
      expect(response.statusCode).toBe(415);
      expect(JSON.parse(response.body)).toEqual({ message: 'Unsupported Media Type' });
    },
  );

  it('takes application/json with a charset, and no content type, as JSON', async () => {
    const api = new LocalApi(model(50, 100), 'test', () => ({}));
    for (const headers of [{ 'content-type': 'application/json; charset=utf-8' }, {}]) {
      const response = await api.handle({ method: 'POST', path: '/orders', body: '{', headers });
      expect(response.statusCode).toBe(400);
    }
  });
});
