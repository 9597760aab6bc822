import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LocalLambda, stopParkedEnvironments, type LocalFunctionSpec } from '../../src/lib/local/lambda.js';
import type { FunctionError } from '../../src/lib/runtime/lambda-error.js';
import { tempDir } from '../helpers/cli.js';

// The V8 code cache of the local Lambda runtime (CODE_CACHE_SOURCE in lambda.ts): what an environment compiled
// (its bundle, the modules it requires) is kept in the project and used by the next environment that loads the
// same source with the same Node; anything else in the cache folder is ignored and written again.
describe('the local Lambda code cache', () => {
  const tmp = tempDir('fulfill-code-cache-');
  afterAll(() => tmp.cleanup());
  let project: string;
  let cacheDir: string;
  let lambda: LocalLambda | undefined;
  let projects = 0;

  // A package the bundle requires, as the SDK would be: one module requiring another.
  const installPackage = (dir: string) => {
    const pkg = join(dir, 'node_modules', 'greeter');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'greeter', version: '1.0.0', main: 'index.js' }));
    writeFileSync(
      join(pkg, 'index.js'),
      `const { suffix } = require('./suffix'); exports.greet = (n) => 'hello ' + n + suffix;`,
    );
    writeFileSync(join(pkg, 'suffix.js'), `exports.suffix = '!';`);
  };
  const spec = (code: string): LocalFunctionSpec => ({
    name: 'greet',
    functionName: 'fulfill-cc-test-greet',
    functionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:fulfill-cc-test-greet',
    code,
    timeoutSeconds: 10,
    memoryMb: 128,
    environment: {},
    requireFrom: [join(project, 'package.json')],
  });
  const BUNDLE = `const { greet } = require('greeter'); exports.handler = async (event) => greet(event.name);`;
  /** Starts a runtime, invokes once, stops it: what the environment's init took from the cache. */
  const runOnce = async (code = BUNDLE, name = 'ada') => {
    lambda = new LocalLambda([spec(code)], { codeCacheDir: cacheDir });
    const result = await lambda.invoke('greet', { name });
    const stats = lambda.codeCacheStats();
    await lambda.close();
    lambda = undefined;
    // Each run a cold start: the code cache is what a new environment loads with.
    await stopParkedEnvironments();
    return { result, stats };
  };
  const cacheFiles = () => readdirSync(cacheDir).map((f) => join(cacheDir, f));

  beforeEach(() => {
    project = join(tmp.dir, `project-${++projects}`);
    installPackage(project);
    cacheDir = join(project, '.fulfill', 'cache', 'v8');
  });
  afterEach(async () => lambda?.close());

  it('keeps what an environment compiled, inside the given folder only, and the next environment uses it', async () => {
    const before = listTree(tmp.dir);
    const first = await runOnce();
    expect(first.result).toBe('hello ada!');
    // The bundle and the package's two modules.
    expect(first.stats).toEqual({ used: 0, compiled: 3 });
    const created = listTree(tmp.dir).filter((f) => !before.includes(f));
    expect(created.length).toBeGreaterThan(0);
    for (const file of created) expect(relative(cacheDir, join(tmp.dir, file))).not.toMatch(/^\.\./);
    expect(cacheFiles()).toHaveLength(3);

    const second = await runOnce(BUNDLE, 'grace');
    expect(second).toEqual({ result: 'hello grace!', stats: { used: 3, compiled: 0 } });
  });

  it('does not serve a changed bundle or module from the cache', async () => {
    await runOnce();
    const changed = `const { greet } = require('greeter');
      exports.handler = async (event) => greet(event.name).toUpperCase();`;
    expect(await runOnce(changed)).toEqual({ result: 'HELLO ADA!', stats: { used: 2, compiled: 1 } });
    // Same length as before: V8 alone would not notice (it compares lengths, not content).
    writeFileSync(join(project, 'node_modules', 'greeter', 'suffix.js'), `exports.suffix = '?';`);
    expect(await runOnce(changed)).toEqual({ result: 'HELLO ADA?', stats: { used: 2, compiled: 1 } });
    expect(await runOnce(changed)).toEqual({ result: 'HELLO ADA?', stats: { used: 3, compiled: 0 } });
  });

  it('ignores damaged, truncated and foreign cache files, and writes them again', async () => {
    await runOnce();
    const [damaged, truncated, foreign] = cacheFiles();
    // Another module's V8 data under this module's header, digests consistent: V8 itself rejects it.
    const own = readFileSync(foreign);
    const otherData = readFileSync(damaged).subarray(headerLength(own));
    const sourceDigest = own.subarray(0, headerLength(own) - 32);
    const dataDigest = createHash('sha256').update(otherData).update('\0').digest();
    writeFileSync(foreign, Buffer.concat([sourceDigest, dataDigest, otherData]));
    const bytes = readFileSync(damaged);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(damaged, bytes);
    writeFileSync(truncated, readFileSync(truncated).subarray(0, 60));

    expect(await runOnce()).toEqual({ result: 'hello ada!', stats: { used: 0, compiled: 3 } });
    expect(await runOnce()).toEqual({ result: 'hello ada!', stats: { used: 3, compiled: 0 } });
  });

  it('starts without a cache folder it cannot create, compiling from source', async () => {
    // A file where the folder would be: mkdir fails, the environment runs anyway.
    mkdirSync(join(project, '.fulfill', 'cache'), { recursive: true });
    writeFileSync(cacheDir, 'not a folder');
    expect(await runOnce()).toEqual({ result: 'hello ada!', stats: { used: 0, compiled: 3 } });
    expect(await runOnce()).toEqual({ result: 'hello ada!', stats: { used: 0, compiled: 3 } });
    expect(statSync(cacheDir).isFile()).toBe(true);
  });

  it('loads ES module packages and reports syntax errors in required modules as Node does', async () => {
    const esm = join(project, 'node_modules', 'esm-greeter');
    mkdirSync(esm, { recursive: true });
    writeFileSync(join(esm, 'package.json'), JSON.stringify({ name: 'esm-greeter', type: 'module', main: 'index.js' }));
    writeFileSync(join(esm, 'index.js'), `export const greet = (n) => 'hi ' + n;`);
    const broken = join(project, 'node_modules', 'broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'package.json'), JSON.stringify({ name: 'broken', main: 'index.js' }));
    writeFileSync(join(broken, 'index.js'), `exports.x = ;`);

    const esmBundle = `const { greet } = require('esm-greeter'); exports.handler = async (event) => greet(event.name);`;
    expect((await runOnce(esmBundle)).result).toBe('hi ada');
    lambda = new LocalLambda([spec(`require('broken'); exports.handler = async () => 1;`)], {
      codeCacheDir: cacheDir,
    });
    const error = (await lambda.invoke('greet', {}).catch((e: unknown) => e)) as FunctionError;
    expect(error.payload).toMatchObject({
      errorType: 'Runtime.UserCodeSyntaxError',
      errorMessage: "SyntaxError: Unexpected token ';'",
    });
    expect(error.payload.trace.length).toBeGreaterThan(0);
    for (const line of error.payload.trace) expect(line).toMatch(/^at /);
  });
});

/** Files under `dir`, relative to it. */
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** The length of a cache file's header: its magic line, then two 32-byte digests. */
function headerLength(file: Buffer): number {
  return file.indexOf(0x0a) + 1 + 64;
}
