import { afterAll, describe, expect, it } from '@jest/globals';
import { invokeUrl, ordersUrl } from '../../../../src/lib/aws/apigw.js';
import { awsSender } from '../../../../src/lib/aws/orders.js';
import { connectStage } from '../../../../src/lib/aws/stage.js';
import { FakeAws, REGION } from '../../../helpers/fake-aws.js';
import { MINIMAL_ORDER } from '../../../helpers/orders.js';
import { deploy, projects } from '../support.js';

// Where send-order posts: AWS's invoke URL, an emulator's (derived from --endpoint-url), or --api-url.

const dirs = projects();
afterAll(() => dirs.cleanup());

const EMULATOR = 'http://127.0.0.1:4566';

describe('the invoke URL', () => {
  it.each([
    ['AWS', undefined, `https://abc123.execute-api.${REGION}.amazonaws.com/ci/orders`],
    ['an emulator', EMULATOR, `${EMULATOR}/restapis/abc123/ci/_user_request_/orders`],
    ['an emulator, trailing slash', `${EMULATOR}/`, `${EMULATOR}/restapis/abc123/ci/_user_request_/orders`],
  ])('%s', (_name, endpointUrl, expected) => {
    expect(invokeUrl({ region: REGION, ...(endpointUrl ? { endpointUrl } : {}) }, 'abc123', 'ci')).toBe(expected);
  });

  it.each([
    ['https://orders.shop.example', 'https://orders.shop.example/orders'],
    ['https://orders.shop.example/v1/', 'https://orders.shop.example/v1/orders'],
    [
      'https://vpce-1.execute-api.eu-central-1.vpce.amazonaws.com/ci/orders',
      'https://vpce-1.execute-api.eu-central-1.vpce.amazonaws.com/ci/orders',
    ],
  ])('--api-url %s posts to %s', (apiUrl, expected) => {
    expect(ordersUrl(apiUrl)).toBe(expected);
  });
});

describe('send-order --target aws against an emulator', () => {
  const dir = dirs.make('orchestration');
  const order = MINIMAL_ORDER;
  const posted: string[] = [];
  const fetchImpl = (async (url: string) => {
    posted.push(url);
    return new Response(JSON.stringify({ orderId: 'o-1' }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof fetch;

  it("deploy prints, and send-order posts to, the emulator's URL for the stage; --api-url overrides it", async () => {
    const fake = new FakeAws();
    const deployed = await deploy(fake, dir, { endpointUrl: EMULATOR });
    const apiId = Object.keys(fake.state.apis)[0];
    expect(deployed.endpoint).toBe(`${EMULATOR}/restapis/${apiId}/ci/_user_request_/orders`);

    const stage = await connectStage(dir, { clients: fake.clients, endpointUrl: EMULATOR });
    await awsSender({ ...stage, endpoint: await stage.endpoint() }, { fetch: fetchImpl }).send(order, false, 1000);
    const custom = await connectStage(dir, {
      clients: fake.clients,
      endpointUrl: EMULATOR,
      apiUrl: 'https://orders.shop.example/',
    });
    await awsSender({ ...custom, endpoint: await custom.endpoint() }, { fetch: fetchImpl }).send(order, false, 1000);
    expect(posted).toEqual([
      `${EMULATOR}/restapis/${apiId}/ci/_user_request_/orders`,
      'https://orders.shop.example/orders',
    ]);
  });
});
