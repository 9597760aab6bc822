import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { bundleHandlers } from '../../src/lib/blueprint/bundle.js';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { LOCAL_ACCOUNT_ID, naming } from '../../src/lib/blueprint/naming.js';
import { LocalEventBus } from '../../src/lib/local/bus.js';
import type { LocalRuntimeSpec } from '../../src/lib/local/deploy.js';
import {
  LocalLambda,
  type LocalEndpoint,
  type LocalFunctionSpec,
  type PortHttpRequest,
} from '../../src/lib/local/lambda.js';
import { Recorder } from '../../src/lib/local/recorder.js';
import { LocalStore } from '../../src/lib/local/store.js';
import { FunctionError } from '../../src/lib/runtime/lambda-error.js';
import { tempDir, templateProject } from '../helpers/cli.js';

// The events wrapper's EventBridge client reaches the local bus over its execution environment's message port
// (runtime/port-request-handler.ts): the SDK's serialized, signed PutEvents, answered by the bus as over HTTP.
const transport = fileURLToPath(new URL('../../src/lib/runtime/port-request-handler.ts', import.meta.url));

describe('PutEvents over the message port', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  const names = naming('test-shop', 'test', 'eu-central-1', LOCAL_ACCOUNT_ID);
  const { file: _file, ...events } = loadBlueprint(tmp.dir).events!;
  const store = new LocalStore(tmp.dir, 'test');
  const recorder = new Recorder(store);
  // No rule matches the test source: this is about the transport and PutEvents' answers, not delivery.
  const bus = new LocalEventBus({ events } as unknown as LocalRuntimeSpec, names, store, recorder);
  let busUrl = '';
  /** Requests that came over a port, and over the bus's HTTP endpoint. */
  const overPort: PortHttpRequest[] = [];
  let lambda: LocalLambda | undefined;
  let userEndpoint: { server: Server; url: string; targets: string[] };

  beforeAll(async () => {
    busUrl = await bus.listen();
    const targets: string[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        targets.push(String(req.headers['x-amz-target']));
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'from-user-endpoint' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    userEndpoint = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
  });
  afterEach(async () => {
    await lambda?.close();
    lambda = undefined;
    overPort.length = 0;
    userEndpoint.targets.length = 0;
  });
  afterAll(async () => {
    await bus.close();
    store.close();
    userEndpoint.server.close();
    tmp.cleanup();
  });

  const portToBus = (handle: LocalEndpoint['handle'] = (request) => bus.serveRequest(request)): LocalEndpoint => ({
    url: busUrl,
    handle: (request) => {
      overPort.push(request);
      return handle(request);
    },
  });

  /** A function whose handler sends the PutEvents `entries` with its own client on the port transport. */
  async function publisher(environment: Record<string, string> = {}): Promise<LocalFunctionSpec> {
    const entry = join(tmp.dir, 'handlers', 'publisher.ts');
    writeFileSync(
      entry,
      `import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { localEndpointFor, PortRequestHandler } from ${JSON.stringify(transport)};
const local = localEndpointFor(process.env.AWS_ENDPOINT_URL_EVENTBRIDGE);
let exitAfterSend = false;
// Ends the environment the moment the request is on the port (endpoint.send posts it before handle's first await),
// so the answer can never come back first, however loaded the machine.
class ExitingHandler extends PortRequestHandler {
  handle(...args: Parameters<PortRequestHandler['handle']>) {
    const answer = super.handle(...args);
    if (exitAfterSend) process.exit(3);
    return answer;
  }
}
const client = new EventBridgeClient({ maxAttempts: 1, ...(local ? { requestHandler: new ExitingHandler(local) } : {}) });
export async function handler(event: { entries: unknown[]; exitAfterSend?: boolean }) {
  exitAfterSend = event.exitAfterSend === true;
  const sent = client.send(new PutEventsCommand({ Entries: event.entries as never }));
  try {
    const out = await sent;
    return { transport: local ? 'port' : 'http', FailedEntryCount: out.FailedEntryCount, Entries: out.Entries };
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { transport: local ? 'port' : 'http', error: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
}
`,
    );
    const [bundle] = await bundleHandlers(tmp.dir, [{ name: 'publisher', entry }], 'orchestration');
    return spec('publisher', bundle.code, { AWS_ENDPOINT_URL_EVENTBRIDGE: busUrl, ...environment });
  }

  const spec = (name: string, code: string, environment: Record<string, string>): LocalFunctionSpec => ({
    name,
    functionName: `fulfill-t-test-${name}`,
    functionArn: `arn:aws:lambda:eu-central-1:000000000000:function:fulfill-t-test-${name}`,
    code,
    timeoutSeconds: 20,
    memoryMb: 256,
    environment: { AWS_REGION: 'eu-central-1', ...environment },
  });

  const entry = (orderId: string, over: Record<string, unknown> = {}) => ({
    EventBusName: names.busName(),
    Source: 'test.port',
    DetailType: 'Probe',
    Detail: JSON.stringify({ orderId }),
    ...over,
  });

  it('answers as EventBridge: event ids, and per-entry errors beside accepted entries', async () => {
    lambda = new LocalLambda([await publisher()], { localEndpoint: portToBus() });
    const result = await lambda.invoke('publisher', {
      entries: [
        entry('port-1'),
        entry('port-2', { Detail: '{oops' }),
        entry('port-3', { EventBusName: 'other' }),
        entry('port-4', { Source: undefined }),
      ],
    });
    expect(result).toEqual({
      transport: 'port',
      FailedEntryCount: 3,
      Entries: [
        { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus other does not exist.' },
        { ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringMatching(/Source, DetailType, or Detail/) },
      ],
    });
    // The SDK's own request: JSON 1.1, the PutEvents target, SigV4-signed for events in the stage's region.
    expect(overPort).toHaveLength(1);
    expect(overPort[0]).toMatchObject({
      method: 'POST',
      path: '/',
      headers: {
        'x-amz-target': 'AWSEvents.PutEvents',
        'content-type': 'application/x-amz-json-1.1',
        authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/eu-central-1\/events\//),
      },
    });
    expect(JSON.parse(overPort[0].body).Entries).toHaveLength(4);
    await bus.idle();
    recorder.flush();
    const published = store.readLog({ orderId: 'port-1' }).find((e) => e.type === 'EventPublished');
    expect(published).toMatchObject({ name: 'Probe', details: { source: 'test.port', detail: { orderId: 'port-1' } } });
  }, 60_000);

  it('refuses more than 10 entries and a request over 256 KB as a whole, with ValidationException', async () => {
    lambda = new LocalLambda([await publisher()], { localEndpoint: portToBus() });
    const eleven = await lambda.invoke('publisher', {
      entries: Array.from({ length: 11 }, (_, i) => entry(`many-${i}`)),
    });
    expect(eleven).toEqual({
      transport: 'port',
      error: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 10'),
      status: 400,
    });
    const big = await lambda.invoke('publisher', {
      entries: [entry('big-1', { Detail: JSON.stringify({ orderId: 'big-1', pad: 'x'.repeat(300 * 1024) }) })],
    });
    expect(big).toMatchObject({ transport: 'port', error: 'ValidationException', message: /over the limit/ });
    // Nothing of a refused request is accepted.
    await bus.idle();
    recorder.flush();
    expect(store.readLog({ orderId: 'many-0' })).toEqual([]);
    expect(store.readLog({ orderId: 'big-1' })).toEqual([]);
  }, 60_000);

  it('does not hang the bus or the runtime when the environment ends while its request is being answered', async () => {
    let answered!: () => void;
    const answeredLate = new Promise<void>((resolve) => (answered = resolve));
    const slowBus = portToBus(async (request) => {
      // The first answer comes after the invocation's 1 s timeout has ended its environment.
      if (request.body.includes('killed-1')) await new Promise((resolve) => setTimeout(resolve, 1500));
      const response = bus.serveRequest(request);
      answered();
      return response;
    });
    const fn = { ...(await publisher()), timeoutSeconds: 1 };
    lambda = new LocalLambda([fn], { localEndpoint: slowBus });
    const error = await lambda.invoke('publisher', { entries: [entry('killed-1')] }).catch((e: unknown) => e);
    expect((error as FunctionError).payload).toMatchObject({ errorType: 'Sandbox.Timedout' });
    await answeredLate;
    await bus.idle();
    // The late answer still accepted the event (at-least-once: the delivery that sent it is retried).
    recorder.flush();
    expect(store.readLog({ orderId: 'killed-1' }).map((e) => e.type)).toContain('EventPublished');
    // The runtime goes on with a fresh environment, and closes without waiting on the lost answer.
    const next = await lambda.invoke('publisher', { entries: [entry('killed-2')] });
    expect(next).toMatchObject({ transport: 'port', FailedEntryCount: 0 });
    await lambda.close();
  }, 60_000);

  it('fails only the invocation whose environment exits right after sending, and the bus stays idle-able', async () => {
    lambda = new LocalLambda([await publisher()], { localEndpoint: portToBus() });
    const error = await lambda
      .invoke('publisher', { entries: [entry('exit-1')], exitAfterSend: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as FunctionError).payload.errorType).toBe('Runtime.ExitError');
    await bus.idle();
    expect(await lambda.invoke('publisher', { entries: [entry('exit-2')] })).toMatchObject({ FailedEntryCount: 0 });
  }, 60_000);

  it('sends to an endpoint the user set over HTTP, not over the port', async () => {
    // AWS_ENDPOINT_URL_EVENTBRIDGE naming the user's own emulator, not the local bus.
    const own = await publisher({ AWS_ENDPOINT_URL_EVENTBRIDGE: userEndpoint.url });
    lambda = new LocalLambda([own], { localEndpoint: portToBus() });
    expect(await lambda.invoke('publisher', { entries: [entry('user-1')] })).toEqual({
      transport: 'http',
      FailedEntryCount: 0,
      Entries: [{ EventId: 'from-user-endpoint' }],
    });
    expect(userEndpoint.targets).toEqual(['AWSEvents.PutEvents']);
    expect(overPort).toEqual([]);
  }, 60_000);

  it("leaves the generic AWS_ENDPOINT_URL path alone: the events wrapper's client goes there over HTTP", async () => {
    const entryFile = join(tmp.dir, 'handlers', 'plain.ts');
    writeFileSync(entryFile, 'export async function handler(state: object) {\n  return { seen: true };\n}\n');
    const [bundle] = await bundleHandlers(tmp.dir, [{ name: 'plain', entry: entryFile }], 'events');
    const route = { resultPath: 'plain', publishes: [{ detailType: 'PlainDone' }], onError: [] };
    const wrapperEnv = {
      FULFILL_HANDLER: 'plain',
      FULFILL_ROUTE: JSON.stringify(route),
      FULFILL_BUS_NAME: names.busName(),
      FULFILL_SOURCE: 'test.plain',
    };
    // A recorder (or emulator) for every service, as `iam` sets it: no EventBridge-specific endpoint.
    lambda = new LocalLambda([spec('plain', bundle.code, { ...wrapperEnv, AWS_ENDPOINT_URL: userEndpoint.url })], {
      localEndpoint: portToBus(),
    });
    expect(await lambda.invoke('plain', { orderId: 'plain-1' })).toEqual({
      published: 'PlainDone',
      eventId: 'from-user-endpoint',
    });
    expect(userEndpoint.targets).toEqual(['AWSEvents.PutEvents']);
    expect(overPort).toEqual([]);
    await lambda.close();
    // The same wrapper pointed at the local bus publishes over the port.
    lambda = new LocalLambda([spec('plain', bundle.code, { ...wrapperEnv, AWS_ENDPOINT_URL_EVENTBRIDGE: busUrl })], {
      localEndpoint: portToBus(),
    });
    expect(await lambda.invoke('plain', { orderId: 'plain-2' })).toEqual({
      published: 'PlainDone',
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(overPort.map((r) => r.headers['x-amz-target'])).toEqual(['AWSEvents.PutEvents']);
  }, 60_000);
});
