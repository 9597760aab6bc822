import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * How the CLI loads the packages vendored by scripts/vendor.js (@oclif/core, zod, velocityjs, aws-local-stepfunctions,
 * asl-validator): each is one CommonJS bundle, compiled with the V8 code cache the build wrote beside it
 * (`<bundle>.v8`), and exported to the modules that import it through a small ES module (`dist/vendor/<name>.js`;
 * asl-validator through require-vendored.ts). Node 20 keeps no compile cache for user code
 * (module.enableCompileCache arrived in Node 22.1) and cannot use one for ES modules at all, so every command
 * compiled these bundles again: 70-110 ms of CPU per command here (`status` 0.41 -> 0.34 s).
 *
 * Written by hand, as lib/local/lambda.ts does for the Lambda environments: v8-compile-cache keeps its cache in the
 * OS temp folder and patches the loader of the whole process. Here nothing is written when the CLI runs: only the
 * build writes the caches (WRITE_ENV, when it runs commands once). A cache of another Node (or V8 flags, or CPU),
 * of another source (a bundle rebuilt without its cache) or a damaged one is not used: the bundle is compiled
 * from source, as without a cache. V8 verifies no checksum in release builds and compares only the source's
 * length, hence the two digests.
 *
 * `import()` inside a script compiled from cached data fails on Node 20 ("A dynamic import callback was not
 * specified": the script loses its importModuleDynamically option), so vendor.js rewrites the bundles' import()
 * calls to `__fulfillImport()`, a parameter of the wrapper that imports from here.
 */

/** The wrapper around a bundle: CommonJS's parameters, and the import() of an ES module (by absolute URL). */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __fulfillImport) {';
const WRAPPER_TAIL = '\n})';
/** Set by the build (scripts/build.js) for the commands it runs to write the caches, at their exit. */
const WRITE_ENV = 'FULFILL_WRITE_VENDOR_CACHE';

const MAGIC = Buffer.from('fulfill-vendor-v8-1\n');
const DIGEST = 32;
const SALT = [process.version, process.versions.v8, process.arch, process.platform].join('\0');

/** How each bundle this process loaded was compiled: from its code cache, or from source (and why). */
export const loadedBundles = new Map<string, 'cached' | 'no cache' | 'stale' | 'rejected'>();
const compiledScripts = new Map<string, { script: vm.Script; sourceDigest: Buffer }>();

function sha256(...parts: Array<string | Buffer>): Buffer {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest();
}
const importModule = (specifier: string) => import(specifier);

/**
 * Runs the CommonJS bundle at `bundleUrl` and returns its exports. `as`: the file its `require`, `__filename` and
 * `__dirname` stand for (the installed package's main file, for a package that reads files next to itself).
 */
export function loadBundle(bundleUrl: URL, as?: string): Record<string, unknown> {
  const file = fileURLToPath(bundleUrl);
  const sourceBytes = readFileSync(file);
  const sourceDigest = sha256(SALT, '\0', sourceBytes);
  const { data, state } = readCache(`${file}.v8`, sourceDigest);
  const script = new vm.Script(WRAPPER_HEAD + sourceBytes.toString('utf8') + WRAPPER_TAIL, {
    filename: file,
    // The bundle's first line starts after the wrapper: its columns there stay the bundle's in stack traces.
    columnOffset: -WRAPPER_HEAD.length,
    ...(data ? { cachedData: data } : {}),
  });
  loadedBundles.set(file, data && script.cachedDataRejected ? 'rejected' : state);
  if (process.env[WRITE_ENV]) {
    if (compiledScripts.size === 0) process.once('exit', saveBundleCaches);
    compiledScripts.set(file, { script, sourceDigest });
  }
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const self = as ?? file;
  const module = { exports: {} as Record<string, unknown> };
  run.call(module.exports, module.exports, createRequire(self), module, self, dirname(self), importModule);
  return module.exports;
}

function readCache(cacheFile: string, sourceDigest: Buffer): { data?: Buffer; state: 'cached' | 'no cache' | 'stale' } {
  let body: Buffer;
  try {
    body = readFileSync(cacheFile);
  } catch {
    return { state: 'no cache' };
  }
  const start = MAGIC.length + 2 * DIGEST;
  const data = body.subarray(start);
  const valid =
    body.length > start &&
    body.subarray(0, MAGIC.length).equals(MAGIC) &&
    body.subarray(MAGIC.length, MAGIC.length + DIGEST).equals(sourceDigest) &&
    body.subarray(MAGIC.length + DIGEST, start).equals(sha256(data));
  return valid ? { data, state: 'cached' } : { state: 'stale' };
}

/**
 * Writes the code cache of every bundle this process loaded: what V8 compiled by now, so the functions the
 * commands ran are in it too, not only the bundle's top level. Written under another name and renamed. A cache
 * that cannot be written (a read-only install) is left out: this runs as the process exits, where a throw would
 * end a command that succeeded with a stack trace; the build's tests check that every bundle has its cache.
 */
function saveBundleCaches(): void {
  for (const [file, { script, sourceDigest }] of compiledScripts) {
    const partial = `${file}.v8.${process.pid}.partial`;
    try {
      const data = script.createCachedData();
      writeFileSync(partial, Buffer.concat([MAGIC, sourceDigest, sha256(data), data]));
      renameSync(partial, `${file}.v8`);
    } catch {
      rmSync(partial, { force: true });
    }
  }
}
