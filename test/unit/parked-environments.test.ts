import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { LocalLambda, stopParkedEnvironments, type LocalFunctionSpec } from '../../src/lib/local/lambda.js';
import { tempDir } from '../helpers/cli.js';

// Idle environments of a closed runtime are taken over by the next runtime of the process for the same function,
// code and configuration (ParkedEnvironments in lambda.ts), as Lambda keeps a warm environment of an unchanged
// function, and never when anything it started or loaded with changed.
describe('parked execution environments', () => {
  const tmp = tempDir('fulfill-parked-');
  afterAll(() => tmp.cleanup());
  afterEach(() => stopParkedEnvironments());

  const project = join(tmp.dir, 'project');
  const pkg = join(project, 'node_modules', 'suffix');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'suffix', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), `exports.suffix = '!';`);
  // Module state and the worker's thread id say which environment ran an invocation, and how often it had run.
  const BUNDLE = `const { threadId } = require('node:worker_threads');
    const { suffix } = require('suffix');
    let invocations = 0;
    exports.handler = async () => ({ threadId, invocations: ++invocations, suffix, mode: process.env.MODE });`;
  const spec = (overrides: Partial<LocalFunctionSpec> = {}): LocalFunctionSpec => ({
    name: 'probe',
    functionName: 'fulfill-parked-test-probe',
    functionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:fulfill-parked-test-probe',
    code: BUNDLE,
    timeoutSeconds: 10,
    memoryMb: 128,
    environment: { MODE: 'a' },
    requireFrom: [join(project, 'package.json')],
    ...overrides,
  });
  type Probe = { threadId: number; invocations: number; suffix: string; mode: string };
  /** One runtime: invokes once and closes. */
  const runOnce = async (overrides: Partial<LocalFunctionSpec> = {}) => {
    const lambda = new LocalLambda([spec(overrides)]);
    try {
      return (await lambda.invoke('probe', {})) as Probe;
    } finally {
      await lambda.close();
    }
  };

  it('the next runtime takes the warm environment of the same function, code and configuration', async () => {
    const first = await runOnce();
    const second = await runOnce();
    expect(second).toEqual({ ...first, invocations: 2 });
    // Stopped: the next one is a cold start.
    await stopParkedEnvironments();
    const third = await runOnce();
    expect(third.threadId).not.toBe(first.threadId);
    expect(third.invocations).toBe(1);
  });

  it('an environment taken over ahead of its first invocation (prewarm) does not keep the process alive', async () => {
    await runOnce();
    // What keeps the event loop alive: a referenced port or worker would (jest's own pipes are the same before and after).
    const keepingAlive = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker');
    const before = keepingAlive();
    const lambda = new LocalLambda([spec()]);
    lambda.prewarm();
    expect(lambda.stats().probe).toMatchObject({ environments: 1, starting: 0 });
    expect(keepingAlive()).toEqual(before);
    expect(((await lambda.invoke('probe', {})) as Probe).invocations).toBe(2);
    await lambda.close();
  });

  it('changed code, variables, timeout or memory start a new environment', async () => {
    const first = await runOnce();
    for (const change of [
      { code: `${BUNDLE}\n// changed` },
      { environment: { MODE: 'b' } },
      { timeoutSeconds: 11 },
      { memoryMb: 256 },
    ]) {
      const next = await runOnce(change);
      expect(next.threadId).not.toBe(first.threadId);
      expect(next.invocations).toBe(1);
    }
  });

  it('a module it loaded that changed on disk (an npm install) starts a new environment with the new module', async () => {
    const first = await runOnce();
    writeFileSync(join(pkg, 'index.js'), `exports.suffix = '?';`);
    const next = await runOnce();
    expect(next).toMatchObject({ invocations: 1, suffix: '?' });
    expect(next.threadId).not.toBe(first.threadId);
  });

  it('an environment still running an invocation when its runtime closes is stopped, not parked', async () => {
    const slow = { code: `exports.handler = () => new Promise((resolve) => setTimeout(resolve, 60000));` };
    const lambda = new LocalLambda([spec(slow)]);
    const running = lambda.invoke('probe', {}).catch((error: Error) => error.message);
    // Until the environment has taken it (its init runs first).
    for (let i = 0; i < 200 && lambda.stats().probe.busy === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await lambda.close();
    expect(await running).toMatch(/shutting down/);
    const next = new LocalLambda([spec(slow)]);
    next.prewarm();
    expect(next.stats().probe).toMatchObject({ environments: 1, starting: 1 });
    await next.close();
  });
});
