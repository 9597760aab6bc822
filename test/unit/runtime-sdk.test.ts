import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { bundleHandlers } from '../../src/lib/blueprint/bundle.js';
import {
  LocalLambda,
  stopParkedEnvironments,
  runtimeSdkFrom,
  type LocalFunctionSpec,
  type PortHttpRequest,
} from '../../src/lib/local/lambda.js';
import { tempDir } from '../helpers/cli.js';

// The SDK clients fulfill provides to functions on the local target ("the runtime's SDK"), vendored by the
// build as one CommonJS file each (scripts/vendor.js: dist/vendor/runtime-sdk.json) and loaded by an environment
// instead of fulfill's copy in node_modules (lambda.ts, runtimeSdkFrom); a client the project installed wins.
const root = join(import.meta.dirname, '..', '..');
const vendorDir = join(root, 'dist', 'vendor');
const EVENTBRIDGE = '@aws-sdk/client-eventbridge';
/** fulfill's own copy, as the local runtime resolves it. */
const fromFulfill = createRequire(join(root, 'src', 'lib', 'local', 'lambda.ts'));
const installedVersion = (name: string) =>
  (JSON.parse(readFileSync(fromFulfill.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;

describe("the runtime's SDK in local environments", () => {
  const tmp = tempDir('fulfill-runtime-sdk-');
  let manifest: Record<string, { file: string; version: string }>;
  let lambda: LocalLambda | undefined;
  beforeAll(() => {
    if (!existsSync(join(vendorDir, 'runtime-sdk.json'))) {
      throw new Error('dist/vendor/runtime-sdk.json is missing: run npm run build first (npm test does)');
    }
    manifest = JSON.parse(readFileSync(join(vendorDir, 'runtime-sdk.json'), 'utf8')) as typeof manifest;
  });
  afterEach(async () => {
    await lambda?.close();
    lambda = undefined;
  });
  afterAll(() => tmp.cleanup());

  it('vendors the EventBridge client at the version installed with fulfill', () => {
    expect(Object.keys(manifest)).toContain(EVENTBRIDGE);
    for (const [name, { file, version }] of Object.entries(manifest)) {
      // A build older than the installed SDK (npm install after npm run build) fails here: build again.
      expect({ name, version }).toEqual({ name, version: installedVersion(name) });
      const source = readFileSync(join(vendorDir, file), 'utf8');
      expect(source.split('\n', 1)[0]).toContain(`${name} ${version},`);
      // The files Node's require loads from node_modules (dist-cjs), not the packages' ES module builds.
      const modules = [...source.matchAll(/^\/\/ (node_modules\/\S+)$/gm)].map((m) => m[1]);
      expect(modules).toContain(`node_modules/${name}/dist-cjs/index.js`);
      expect(modules.filter((m) => m.includes('/dist-es/'))).toEqual([]);
    }
    expect(runtimeSdkFrom(vendorDir)).toEqual({ [EVENTBRIDGE]: join(vendorDir, manifest[EVENTBRIDGE].file) });
  });

  it('uses no bundle whose version is not the installed one, nor a bundle that is missing', () => {
    const stale = join(tmp.dir, 'stale-vendor');
    mkdirSync(stale, { recursive: true });
    const file = manifest[EVENTBRIDGE].file;
    writeFileSync(join(stale, file), readFileSync(join(vendorDir, file)));
    const write = (entries: Record<string, { file: string; version: string }>) =>
      writeFileSync(join(stale, 'runtime-sdk.json'), JSON.stringify(entries));
    write({ [EVENTBRIDGE]: { file, version: '3.0.0-older' } });
    expect(runtimeSdkFrom(stale)).toEqual({});
    write({ [EVENTBRIDGE]: { file: 'gone.cjs', version: installedVersion(EVENTBRIDGE) } });
    expect(runtimeSdkFrom(stale)).toEqual({});
    // A client not installed with fulfill is not provided from a bundle either.
    write({ '@aws-sdk/client-kinesis': { file, version: '3.1142.0' } });
    expect(runtimeSdkFrom(stale)).toEqual({});
    writeFileSync(join(stale, 'runtime-sdk.json'), '{not json');
    expect(runtimeSdkFrom(stale)).toEqual({});
    write({ [EVENTBRIDGE]: { file, version: installedVersion(EVENTBRIDGE) } });
    expect(runtimeSdkFrom(stale)).toEqual({ [EVENTBRIDGE]: join(stale, file) });
  });

  /**
   * An events-mode function of a project in `dir` whose handler returns the SDK files its environment loaded (in
   * the published event's detail), with a local endpoint that records the PutEvents it is sent.
   */
  async function eventsFunction(dir: string) {
    mkdirSync(join(dir, 'handlers'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'probe-project', private: true }));
    const entry = join(dir, 'handlers', 'probe.ts');
    writeFileSync(
      entry,
      `import Module from 'node:module';
export async function handler() {
  const loaded = Object.keys((Module as unknown as { _cache: object })._cache);
  return loaded.filter((file) => /aws-sdk|@smithy/.test(file));
}
`,
    );
    const [bundle] = await bundleHandlers(dir, [{ name: 'probe', entry }], 'events');
    const url = 'http://127.0.0.1:9/local-bus';
    const spec: LocalFunctionSpec = {
      name: 'probe',
      functionName: 'fulfill-sdk-test-probe',
      functionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:fulfill-sdk-test-probe',
      code: bundle.code,
      timeoutSeconds: 30,
      memoryMb: 256,
      environment: {
        AWS_REGION: 'eu-central-1',
        AWS_ENDPOINT_URL_EVENTBRIDGE: `${url}/functions/probe`,
        FULFILL_HANDLER: 'probe',
        FULFILL_ROUTE: JSON.stringify({ resultPath: 'loaded', publishes: [{ detailType: 'Probed' }], onError: [] }),
        FULFILL_BUS_NAME: 'fulfill-sdk-test-bus',
        FULFILL_SOURCE: 'test.sdk',
      },
      requireFrom: [join(dir, 'package.json')],
    };
    const sent: PortHttpRequest[] = [];
    const localEndpoint = {
      url,
      handle: (request: PortHttpRequest) => {
        sent.push(request);
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: `event-${sent.length}` }] }),
        };
      },
    };
    /** The files the environment had loaded, from the detail of the PutEvents it sent. */
    const loaded = () =>
      sent.map((request) => {
        const body = JSON.parse(request.body) as { Entries: Array<{ Detail: string }> };
        return (JSON.parse(body.Entries[0].Detail) as { loaded: string[] }).loaded;
      });
    return { spec, localEndpoint, sent, loaded };
  }

  it('loads the vendored client in a project without the SDK, through the code cache, and publishes with it', async () => {
    const dir = join(tmp.dir, 'no-sdk');
    const fn = await eventsFunction(dir);
    const cacheDir = join(dir, '.fulfill', 'cache', 'v8');
    const vendored = join(vendorDir, manifest[EVENTBRIDGE].file);
    for (const [i, cache] of [
      [1, { used: 0, compiled: 2 }],
      [2, { used: 2, compiled: 0 }],
    ] as const) {
      lambda = new LocalLambda([fn.spec], { localEndpoint: fn.localEndpoint, codeCacheDir: cacheDir });
      expect(await lambda.invoke('probe', { orderId: `o-${i}` })).toEqual({
        published: 'Probed',
        eventId: `event-${i}`,
      });
      // The function's bundle and the SDK's: one file each, compiled once, then taken from the project's cache.
      expect(lambda.codeCacheStats()).toEqual(cache);
      await lambda.close();
      lambda = undefined;
      // The next runtime's environment starts cold (not the parked one): what it loads is the point here.
      await stopParkedEnvironments();
    }
    // The real client serialized and signed the PutEvents; no file of fulfill's node_modules copy was loaded.
    expect(fn.sent.map((r) => [r.method, r.headers['x-amz-target'], r.headers.authorization?.split(' ')[0]])).toEqual([
      ['POST', 'AWSEvents.PutEvents', 'AWS4-HMAC-SHA256'],
      ['POST', 'AWSEvents.PutEvents', 'AWS4-HMAC-SHA256'],
    ]);
    expect(fn.loaded()).toEqual([[vendored], [vendored]]);
  }, 120_000);

  it('loads the project’s own client when the project installed one', async () => {
    const dir = join(tmp.dir, 'own-sdk');
    const fn = await eventsFunction(dir);
    // A stand-in package in the project's node_modules, publishing through the same local endpoint.
    const pkg = join(dir, 'node_modules', '@aws-sdk', 'client-eventbridge');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: EVENTBRIDGE, version: '3.0.0-project' }));
    writeFileSync(
      join(pkg, 'index.js'),
      `const endpoint = () => globalThis[Symbol.for('fulfill.localEndpoint')];
exports.PutEventsCommand = class PutEventsCommand { constructor(input) { this.input = input; } };
exports.EventBridgeClient = class EventBridgeClient {
  async send(command) {
    const body = JSON.stringify(command.input);
    const answer = await endpoint().send({ method: 'POST', path: '/', headers: { 'x-amz-target': 'project-copy' }, body });
    return JSON.parse(answer.body);
  }
};
`,
    );
    lambda = new LocalLambda([fn.spec], { localEndpoint: fn.localEndpoint });
    expect(await lambda.invoke('probe', { orderId: 'o-1' })).toEqual({ published: 'Probed', eventId: 'event-1' });
    expect(fn.sent.map((r) => r.headers['x-amz-target'])).toEqual(['project-copy']);
    expect(fn.loaded()).toEqual([[join(pkg, 'index.js')]]);
  }, 120_000);
});
