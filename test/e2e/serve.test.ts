import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import type { OrderOutcome } from '../../src/lib/order/outcome.js';
import { tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { startServe, type RunningServer } from '../helpers/serve.js';
import { executionRows } from '../helpers/state.js';

const order = (orderId: string, overrides: Record<string, unknown> = {}) => ({
  orderId,
  customerId: 'c-1',
  paymentInstrumentType: 'creditCard',
  sellerId: 'shop',
  currency: 'EUR',
  items: [{ sku: 'sku-1', quantity: 1, unitPrice: 9.99 }],
  shipTo: { country: 'DE', postalCode: '10115' },
  ...overrides,
});

/** A raw HTTP request (fetch would refuse some of the malformed ones). */
function raw(
  url: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function waitForOutcome(url: string, orderId: string): Promise<OrderOutcome> {
  for (let i = 0; i < 200; i++) {
    const res = await raw(url, 'GET', `/orders/${orderId}`);
    if (res.status === 200 && JSON.parse(res.body).outcome) return JSON.parse(res.body).outcome;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no outcome for ${orderId}`);
}

describe.each(['orchestration', 'events'] as const)('fulfill serve (%s)', (mode) => {
  const tmp = tempDir();
  let server: RunningServer;

  beforeAll(async () => {
    // burstLimit 200: the burst of 100 below comes after the other tests' requests, still within one bucket.
    templateProject(tmp.dir, {
      mode,
      api: { corsOrigins: ['http://localhost:4173'], throttle: { rateLimit: 50, burstLimit: 200 } },
    });
    expect((await runInProcess(['deploy'], { cwd: tmp.dir })).code).toBe(0);
    // --grace 0: the last test stops it during a burst, and orders still running are recorded as interrupted at
    // once (the shutdown path that must not hang). One server and one deployment per mode for the whole file.
    server = await startServe(tmp.dir, ['--grace', '0']);
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('accepts an order, answers its outcome, and logs one line per request', async () => {
    const res = await raw(server.url, 'POST', '/orders', JSON.stringify(order(`${mode}-ok`)));
    expect(res.status).toBe(200);
    expect((await waitForOutcome(server.url, `${mode}-ok`)).status).toBe('SUCCEEDED');
    const health = JSON.parse((await raw(server.url, 'GET', '/health')).body);
    expect(health).toMatchObject({ status: 'ok', mode });
    expect(server.output()).toMatch(/POST \/orders 200 \d+ms/);
  });

  it('answers CORS preflight only for configured origins', async () => {
    const allowed = await raw(server.url, 'OPTIONS', '/orders', undefined, {
      origin: 'http://localhost:4173',
      'access-control-request-method': 'POST',
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:4173');
    const denied = await raw(server.url, 'OPTIONS', '/orders', undefined, { origin: 'http://evil.example' });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('survives a corpus of malformed requests with 4xx answers and keeps serving', async () => {
    const valid = order('x');
    const corpus: Array<[string, string, string | Buffer | undefined]> = [
      ['POST', '/orders', ''],
      ['POST', '/orders', '{'],
      ['POST', '/orders', 'null'],
      ['POST', '/orders', '[]'],
      ['POST', '/orders', '"order"'],
      ['POST', '/orders', '42'],
      ['POST', '/orders', 'true'],
      ['POST', '/orders', '{}'],
      ['POST', '/orders', Buffer.from([0xff, 0xfe, 0xfd])],
      ['POST', '/orders', JSON.stringify({ ...valid, orderId: '' })],
      ['POST', '/orders', JSON.stringify({ ...valid, orderId: 'has space' })],
      ['POST', '/orders', JSON.stringify({ ...valid, orderId: 'x'.repeat(81) })],
      ['POST', '/orders', JSON.stringify({ ...valid, orderId: 42 })],
      ['POST', '/orders', JSON.stringify({ ...valid, items: [] })],
      ['POST', '/orders', JSON.stringify({ ...valid, items: 'many' })],
      ['POST', '/orders', JSON.stringify({ ...valid, items: [{ sku: 'a', quantity: 0, unitPrice: 1 }] })],
      ['POST', '/orders', JSON.stringify({ ...valid, items: [{ sku: 'a', quantity: 1.5, unitPrice: 1 }] })],
      ['POST', '/orders', JSON.stringify({ ...valid, items: [{ sku: 'a', quantity: 1, unitPrice: -1 }] })],
      ['POST', '/orders', JSON.stringify({ ...valid, items: [{ sku: 'a', quantity: '1', unitPrice: 1 }] })],
      ['POST', '/orders', JSON.stringify({ ...valid, items: [{ sku: 'a', quantity: 1, unitPrice: 1, extra: 1 }] })],
      ['POST', '/orders', JSON.stringify({ ...valid, shipTo: { country: 'Germany', postalCode: '1' } })],
      ['POST', '/orders', JSON.stringify({ ...valid, shipTo: null })],
      ['POST', '/orders', JSON.stringify({ ...valid, currency: 'euro' })],
      ['POST', '/orders', JSON.stringify({ ...valid, paymentInstrumentType: '' })],
      ['POST', '/orders', JSON.stringify({ ...valid, paymentInstrumentType: { type: 'card' } })],
      ['POST', '/orders', JSON.stringify({ ...valid, sellerId: 'UPPER' })],
      ['POST', '/orders', JSON.stringify({ ...valid, customerId: '' })],
      ['POST', '/orders', JSON.stringify({ ...valid, unknown: true })],
      [
        'POST',
        '/orders',
        JSON.stringify({ ...valid, __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } }),
      ],
      ['POST', '/orders', JSON.stringify({ ...valid, items: Array.from({ length: 101 }, () => valid.items[0]) })],
      ['POST', '/orders', `{"orderId": "${'a'.repeat(300 * 1024)}"}`],
      ['PUT', '/orders', JSON.stringify(valid)],
      ['DELETE', '/orders', undefined],
      ['GET', '/orders/../../etc/passwd', undefined],
      ['GET', '/orders/%00', undefined],
      ['POST', '/orders/x', JSON.stringify(valid)],
      ['GET', '/nope', undefined],
    ];
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    for (const [method, path, body] of corpus) {
      const res = await raw(server.url, method, path, body);
      expect([400, 403, 404, 405, 413]).toContain(res.status);
      expect(() => JSON.parse(res.body)).not.toThrow();
    }
    const invalid = JSON.parse(
      (await raw(server.url, 'POST', '/orders', JSON.stringify({ ...valid, items: [] }))).body,
    );
    expect(invalid).toEqual({ message: 'Invalid request body', details: 'items: must contain at least one item' });
    const res = await raw(server.url, 'POST', '/orders', JSON.stringify(order(`${mode}-after`)));
    expect(res.status).toBe(200);
    expect((await waitForOutcome(server.url, `${mode}-after`)).status).toBe('SUCCEEDED');
  });

  // Last: it stops the file's server, which has served the other tests' orders before the burst.
  it('loses no order when SIGTERM arrives during a burst of 100', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `${mode}-burst-${i}`);
    const answers = await Promise.all(
      ids.map((id, i) =>
        raw(
          server.url,
          'POST',
          '/orders',
          JSON.stringify(order(id, { paymentInstrumentType: i % 5 === 0 ? 'giftCard' : 'creditCard' })),
        ),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
    const outcomes = executionRows(tmp.dir, 'test');
    expect(
      outcomes
        .map((o) => o.orderId)
        .filter((id) => id.startsWith(`${mode}-burst-`))
        .sort(),
    ).toEqual([...ids].sort());
    for (const o of outcomes) {
      expect(o.outcomes).toBe(1);
      expect(['SUCCEEDED', 'FAILED', 'ABORTED']).toContain(o.outcomeStatus);
    }
    expect(server.output()).toMatch(/stopped \(\d+ finished, \d+ recorded as interrupted\)/);
  });
});
