import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { bundleHandlers } from '../../src/lib/blueprint/bundle.js';
import { tempDir, templateProject } from '../helpers/cli.js';

// The bundle cache under the project's .fulfill/cache/bundles/: an unchanged handler is not bundled again, and
// anything esbuild read, or could resolve differently, makes it bundle again. To tell a cached bundle from a
// fresh one, a test plants a marker in the cached entry (code and sha256 consistent): only a cache hit returns it.
describe('bundle cache', () => {
  const tmp = tempDir('fulfill-bundle-cache-');
  const dir = templateProject(join(tmp.dir, 'shop'));
  const handlers = [{ name: 'calculate-fee', entry: join(dir, 'handlers', 'calculate-fee.ts') }];
  const cacheFile = (kind = 'orchestration') => join(dir, '.fulfill', 'cache', 'bundles', `${kind}.calculate-fee.json`);
  const MARKER = '/* planted */ exports.handler = async () => "from the cache";\n';
  const plant = (kind = 'orchestration') => {
    const entry = JSON.parse(readFileSync(cacheFile(kind), 'utf8'));
    entry.bundle.code = MARKER;
    entry.bundle.sha256 = createHashHex(MARKER);
    writeFileSync(cacheFile(kind), JSON.stringify(entry));
  };
  const bundle = async (kind: 'orchestration' | 'events' = 'orchestration') =>
    (await bundleHandlers(dir, handlers, kind))[0];
  const rules = join(dir, 'handlers', 'lib', 'rules.ts');
  const rulesSource = readFileSync(rules, 'utf8');
  afterAll(() => tmp.cleanup());

  beforeEach(async () => {
    writeFileSync(rules, rulesSource);
    for (const file of [rules, handlers[0].entry]) settle(file);
    rmSync(join(dir, '.fulfill'), { recursive: true, force: true });
    const fresh = await bundle();
    expect(fresh.code).not.toBe(MARKER);
    plant();
  });

  it('serves an unchanged handler from the cache, with its inputs, inside the project folder only', async () => {
    const cached = await bundle();
    expect(cached.code).toBe(MARKER);
    expect(cached.inputs).toEqual([rules, handlers[0].entry]);
    expect(readdirSync(join(dir, '.fulfill', 'cache', 'bundles'))).toEqual(['orchestration.calculate-fee.json']);
  });

  it('bundles again when a file the handler imports changes, and caches the new bundle', async () => {
    writeFileSync(rules, rulesSource.replace(/\n$/, '\n// edited\n'));
    settle(rules);
    const fresh = await bundle();
    expect(fresh.code).not.toBe(MARKER);
    expect(JSON.parse(readFileSync(cacheFile(), 'utf8')).bundle.sha256).toBe(fresh.sha256);
  });

  it('bundles again when a new file beside an input could resolve differently, or a tsconfig.json appears', async () => {
    writeFileSync(join(dir, 'handlers', 'lib', 'rules.tsx'), rulesSource);
    expect((await bundle()).code).not.toBe(MARKER);
    plant();
    expect((await bundle()).code).toBe(MARKER);
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    expect((await bundle()).code).not.toBe(MARKER);
  });

  it('does not cache a bundle whose input changed while it was built (an edit under deploy --watch)', async () => {
    rmSync(join(dir, '.fulfill'), { recursive: true, force: true });
    // A modification time after the build started is what an edit during the build leaves.
    const later = new Date(Date.now() + 60_000);
    utimesSync(rules, later, later);
    await bundle();
    expect(existsSync(cacheFile())).toBe(false);
    settle(rules);
    await bundle();
    expect(existsSync(cacheFile())).toBe(true);
  });

  it('keeps the modes apart, and ignores an entry that is damaged or does not match its code', async () => {
    expect((await bundle('events')).code).toContain('wrapForEvents');
    writeFileSync(cacheFile(), '{ not json');
    expect((await bundle()).code).not.toBe(MARKER);
    const entry = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    entry.bundle.code = MARKER; // sha256 left as it was
    writeFileSync(cacheFile(), JSON.stringify(entry));
    expect((await bundle()).code).not.toBe(MARKER);
  });
});

/** A modification time well before the next build (fractional, as on a file system with fine times). */
function settle(file: string): void {
  const seconds = (Date.now() - 10_000.5) / 1000;
  utimesSync(file, seconds, seconds);
}

function createHashHex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
