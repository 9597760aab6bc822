import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, childEnv, tempDir } from '../helpers/cli.js';

// The loader of the vendored bundles (lib/vendor/load-bundle.ts), as built into dist/ (npm test builds first): each
// case runs in a fresh Node process, as the CLI does, because V8 reuses what it compiled within one process.
const loader = pathToFileURL(join(ROOT, 'dist', 'lib', 'vendor', 'load-bundle.js')).href;
const WRITE = { FULFILL_WRITE_VENDOR_CACHE: '1' };

/** Loads `bundle` (as `as`) in a fresh process, calls its functions, and reports how it was compiled. */
function load(bundle: string, options: { as?: string; env?: Record<string, string>; nodeArgs?: string[] } = {}) {
  const script = `
    import { loadBundle, loadedBundles } from ${JSON.stringify(loader)};
    const exports = loadBundle(new URL(${JSON.stringify(pathToFileURL(bundle).href)}), ${JSON.stringify(options.as)});
    const result = {
      sum: exports.add(2, 3),
      file: exports.file,
      dir: exports.dir,
      sibling: exports.sibling(),
      imported: await exports.imported(),
      state: loadedBundles.get(${JSON.stringify(bundle)}),
    };
    console.log(JSON.stringify(result));`;
  const out = execFileSync(process.execPath, [...(options.nodeArgs ?? []), '--input-type=module', '-e', script], {
    env: childEnv(options.env ?? {}),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

const BUNDLE = `exports.add = (a, b) => a + b;
exports.file = __filename;
exports.dir = __dirname;
exports.sibling = () => require('./sibling.cjs');
exports.imported = () => __fulfillImport('node:path').then((path) => typeof path.join);
`;

describe('loading a vendored bundle through its code cache', () => {
  const tmp = tempDir('fulfill-load-bundle-');
  afterAll(() => tmp.cleanup());
  let dir: string;
  let bundle: string;
  let cases = 0;
  beforeEach(() => {
    dir = join(tmp.dir, `case-${cases++}`);
    mkdirSync(join(dir, 'package'), { recursive: true });
    bundle = join(dir, 'bundle.cjs');
    writeFileSync(bundle, BUNDLE);
    writeFileSync(join(dir, 'sibling.cjs'), "module.exports = 'next to the bundle';");
    writeFileSync(join(dir, 'package', 'sibling.cjs'), "module.exports = 'next to the package';");
  });

  /** What the bundle of this case gives when it runs as written, for its own path. */
  const asBuilt = () => ({ sum: 5, file: bundle, dir, sibling: 'next to the bundle', imported: 'function' });

  it('runs a bundle without a cache, and writes none unless the build asks', () => {
    expect(load(bundle)).toEqual({ ...asBuilt(), state: 'no cache' });
    expect(existsSync(`${bundle}.v8`)).toBe(false);
    expect(load(bundle).state).toBe('no cache');
  });

  it('gives require, __filename and __dirname of the file it stands for', () => {
    const as = join(dir, 'package', 'index.js');
    expect(load(bundle, { as })).toMatchObject({ file: as, dir: join(dir, 'package'), sibling: 'next to the package' });
  });

  it('uses the cache the build wrote, and import() still works in code compiled from it', () => {
    expect(load(bundle, { env: WRITE }).state).toBe('no cache');
    expect(existsSync(`${bundle}.v8`)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    expect(load(bundle)).toEqual({ ...asBuilt(), state: 'cached' });
  });

  it('ends the process cleanly when the cache cannot be written', () => {
    // A folder where the cache file goes: the rename fails, for root too (a read-only folder would not stop root).
    mkdirSync(join(`${bundle}.v8`, 'in-the-way'), { recursive: true });
    expect(load(bundle, { env: WRITE })).toEqual({ ...asBuilt(), state: 'no cache' });
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('compiles a changed bundle from source, even when its length is the same', () => {
    load(bundle, { env: WRITE });
    const changed = BUNDLE.replace('a + b', 'a * b');
    expect(changed.length).toBe(BUNDLE.length);
    writeFileSync(bundle, changed);
    expect(load(bundle)).toMatchObject({ sum: 6, state: 'stale' });
  });

  it.each([
    ['a damaged cache', (data: Buffer) => Buffer.from(data.map((byte, i) => (i === data.length - 10 ? ~byte : byte)))],
    ['a truncated cache', (data: Buffer) => data.subarray(0, data.length - 100)],
    ['a cache of another format', (data: Buffer) => Buffer.concat([Buffer.from('other'), data.subarray(5)])],
    ['an empty cache', () => Buffer.alloc(0)],
  ])('ignores %s and compiles from source', (_, damage) => {
    load(bundle, { env: WRITE });
    writeFileSync(`${bundle}.v8`, damage(readFileSync(`${bundle}.v8`)));
    expect(load(bundle)).toMatchObject({ sum: 5, imported: 'function', state: 'stale' });
  });

  it('compiles from source when V8 rejects the cache (written under other V8 flags)', () => {
    load(bundle, { env: WRITE, nodeArgs: ['--no-lazy'] });
    expect(load(bundle)).toMatchObject({ sum: 5, imported: 'function', state: 'rejected' });
  });
});

describe('the vendored bundles of the build', () => {
  const vendor = join(ROOT, 'dist', 'vendor');
  const facades = ['aws-local-stepfunctions.js', 'oclif-core.js', 'velocityjs.js', 'zod.js'];
  const bundles = [...facades.map((f) => f.replace(/\.js$/, '.cjs')), 'asl-validator.cjs'].sort();

  it('has a code cache for each bundle the CLI loads through the loader', () => {
    const loading = readdirSync(vendor)
      .filter((f) => f.endsWith('.js'))
      .filter((f) => readFileSync(join(vendor, f), 'utf8').includes('loadBundle('));
    expect(loading.sort()).toEqual(facades);
    expect(
      readdirSync(vendor)
        .filter((f) => f.endsWith('.v8'))
        .sort(),
    ).toEqual(bundles.map((b) => `${b}.v8`));
  });

  it('loads each from its cache in a fresh process', () => {
    const script = `
      import { loadedBundles } from ${JSON.stringify(loader)};
      import { requireVendored } from ${JSON.stringify(loader.replace('load-bundle.js', 'require-vendored.js'))};
      for (const facade of ${JSON.stringify(facades)})
        await import(${JSON.stringify(pathToFileURL(vendor).href)} + '/' + facade);
      requireVendored('asl-validator', 'asl-validator.cjs');
      console.log(JSON.stringify(Object.fromEntries(loadedBundles)));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: childEnv({}),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual(Object.fromEntries(bundles.map((b) => [join(vendor, b), 'cached'])));
  });
});
