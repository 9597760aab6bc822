import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

// The vendored engine (scripts/vendor.js, built by `npm run build`): its imports of the AWS Lambda client, the
// credential providers and asl-validator load on first use, from a chunk beside it. The probe runs in a worker
// thread, where Node's own loader (not jest's) loads the bundle the CLI runs.
const root = join(import.meta.dirname, '..', '..');
const vendorDir = join(root, 'dist', 'vendor');

const PROBE = `
const { workerData, parentPort } = require('node:worker_threads');
const { join } = require('node:path');
const chunk = join(workerData.vendorDir, 'aws-local-stepfunctions.engine.cjs');
const chunkLoaded = () => require.cache[chunk] !== undefined;
(async () => {
  const report = {};
  await import(workerData.polyfill);
  const { StateMachine } = await import(workerData.bundle);
  report.chunkAfterImport = chunkLoaded();
  new StateMachine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, { validationOptions: { noValidate: true } });
  report.chunkAfterUnvalidated = chunkLoaded();
  try {
    new StateMachine({ StartAt: 'Missing', States: { P: { Type: 'Pass', End: true } } });
  } catch (error) {
    report.validationError = String(error.message);
  }
  report.chunkAfterValidation = chunkLoaded();
  const arn = 'arn:aws:lambda:eu-central-1:123456789012:function:remote';
  const remote = new StateMachine(
    { StartAt: 'T', States: { T: { Type: 'Task', Resource: arn, End: true } } },
    { validationOptions: { noValidate: true } },
  );
  report.remoteResult = await remote.run({ order: 'o-1' }).result;
  parentPort.postMessage(report);
})().catch((error) => parentPort.postMessage({ failed: String(error && error.stack) }));
`;

interface Report {
  failed?: string;
  chunkAfterImport: boolean;
  chunkAfterUnvalidated: boolean;
  validationError?: string;
  chunkAfterValidation: boolean;
  remoteResult: unknown;
}

describe('vendored aws-local-stepfunctions', () => {
  let server: Server;
  const requests: Array<{ method?: string; url?: string; body: string }> = [];
  let report: Report;

  beforeAll(async () => {
    if (!existsSync(join(vendorDir, 'aws-local-stepfunctions.js'))) {
      throw new Error('dist/vendor is missing: run npm run build first (npm test does)');
    }
    // Lambda's Invoke API on loopback: answers with what it was sent.
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ invokedWith: JSON.parse(body) as unknown }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const worker = new Worker(PROBE, {
      eval: true,
      workerData: {
        vendorDir,
        bundle: `file://${join(vendorDir, 'aws-local-stepfunctions.js')}`,
        polyfill: `file://${join(root, 'dist', 'lib', 'local', 'polyfill.js')}`,
      },
      // The engine's client takes region, credentials and endpoint from the environment.
      env: {
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    report = await new Promise<Report>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    if (report.failed) throw new Error(report.failed);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('loads and runs a state machine without its deferred chunk', () => {
    expect(report.chunkAfterImport).toBe(false);
    expect(report.chunkAfterUnvalidated).toBe(false);
  });

  it("validates with the engine's own asl-validator when asked to", () => {
    expect(report.validationError).toMatch(/State machine definition is invalid/);
    expect(report.chunkAfterValidation).toBe(true);
  });

  it('invokes a Task without a local handler with the real AWS Lambda client', () => {
    const arn = 'arn:aws:lambda:eu-central-1:123456789012:function:remote';
    expect(report.remoteResult).toEqual({ invokedWith: { order: 'o-1' } });
    expect(requests).toEqual([
      { method: 'POST', url: `/2015-03-31/functions/${encodeURIComponent(arn)}/invocations`, body: '{"order":"o-1"}' },
    ]);
  });
});
