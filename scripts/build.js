#!/usr/bin/env node
// npm run build: dist/ from src/ (then the vendored bundles and the oclif manifest), with the types of src/ and test/
// checked at the same time; the build fails if either does.
// tsc only type-checks here (tsconfig.test.json, noEmit) and esbuild writes dist/, one module per source file, not
// bundled: tsc's own emit was a second full program (2.3 s of wall time, before vendor.js and the manifest could
// start), esbuild transpiles the 118 modules in a tenth of a second. A per-file transpiler gives what tsc gives because
// the sources are written for one (tsconfig.json: isolatedModules, verbatimModuleSyntax), as the tests already run
// them through SWC. No declaration files: the package is a command-line tool, nothing imports its types.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);

/**
 * Runs `node <args>`; resolves with its exit code. By default in the project folder, its output passed through,
 * with this environment plus `env`; `clean`: with `env` only.
 */
function node(args, env = {}, { cwd = root, stdio = 'inherit', clean = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio, env: clean ? env : { ...process.env, ...env } });
    child.on('error', (error) => {
      console.error(`build: ${args.join(' ')}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The modules under `dir`: not the ambient declarations of src/types (esbuild's glob cannot leave them out). */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const typecheck = node([bin('typescript-7', 'bin/tsc'), '-p', 'tsconfig.test.json']);

async function emit() {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await build({
    entryPoints: sources(join(root, 'src')),
    outdir: join(root, 'dist'),
    outbase: join(root, 'src'),
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  // The manifest is read off the commands as compiled, before vendor.js points their imports at its bundles (the
  // same code: the flags and descriptions come out the same), so the two run side by side.
  const vendor = join(root, 'scripts', 'vendor.js');
  const [bundled, manifest] = await Promise.all([
    vendoredBundles(vendor),
    node([bin('oclif', 'bin/run.js'), 'manifest'], { OCLIF_SKIP_NEW_VERSION_CHECK: 'true' }),
  ]);
  if (bundled.code !== 0 || manifest !== 0) return 1;
  const imports = await node([vendor, 'imports']);
  if (imports !== 0 || !bundled.cacheDir) return imports;
  if (await warmCodeCaches()) keepVendored(bundled.cacheDir);
  return 0;
}

/**
 * Runs four commands of the built CLI in a scratch project with WRITE_ENV set, so that dist/vendor/ gets the V8
 * code caches the CLI compiles its vendored bundles with (lib/vendor/load-bundle.ts): what V8 compiled for them,
 * including the functions these commands ran. With a minimal environment: no NODE_OPTIONS (V8 rejects a cache
 * made under other flags) and none of the user's FULFILL_* or AWS_* settings (the commands use the local target).
 * A command that fails leaves a cache incomplete, not wrong, and no cache is only slower: the build warns and goes on.
 */
async function warmCodeCaches() {
  let scratch;
  try {
    scratch = mkdtempSync(join(tmpdir(), 'fulfill-build-'));
  } catch (error) {
    console.error(`build: no scratch folder for the vendored code caches (${error.message}); built without them`);
    return false;
  }
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    // Windows: Node needs it to start.
    ...(process.env.SystemRoot ? { SystemRoot: process.env.SystemRoot } : {}),
    FULFILL_WRITE_VENDOR_CACHE: '1',
  };
  const commands = [
    ['init', 'shop', '--yes'],
    ['deploy', '--target', 'local'],
    ['status', '--target', 'local'],
    ['send-order', '--target', 'local', '--payment', 'creditCard', '--wait'],
  ];
  try {
    for (const [i, args] of commands.entries()) {
      const cwd = i === 0 ? scratch : join(scratch, 'shop');
      const code = await node([join(root, 'bin', 'run.js'), ...args], env, { cwd, stdio: 'ignore', clean: true });
      if (code !== 0) {
        console.error(
          `build: \`fulfill ${args.join(' ')}\` exited with ${code}: the vendored code caches are incomplete`,
        );
        return false;
      }
    }
    return true;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * dist/vendor/ as `vendor.js bundles` writes it, from node_modules/.cache/fulfill-vendor/ when a build with the same
 * inputs wrote it before: the bundles depend only on the installed packages and on the scripts that bundle them
 * (2.4 s of CPU, most of it compiling asl-validator's schemas), not on src/. The key covers both, through npm's
 * record of what it installed (node_modules/.package-lock.json), so an npm install or an edited script bundles
 * again; `rm -rf node_modules/.cache` forces it. A clean checkout (CI) has no cache and bundles as before.
 */
async function vendoredBundles(vendor) {
  const hash = createHash('sha256').update(`${process.version}\0`);
  for (const file of ['scripts/vendor.js', 'scripts/asl-precompiled.js', 'node_modules/.package-lock.json'])
    hash.update(existsSync(join(root, file)) ? readFileSync(join(root, file)) : `no ${file}`).update('\0');
  const cached = join(root, 'node_modules', '.cache', 'fulfill-vendor', hash.digest('hex').slice(0, 32));
  const vendorDir = join(root, 'dist', 'vendor');
  if (existsSync(cached)) {
    cpSync(cached, vendorDir, { recursive: true });
    return { code: 0 };
  }
  return { code: await node([vendor, 'bundles']), cacheDir: cached };
}

/** Keeps dist/vendor/ (the bundles and their code caches) in the cache folder `cached`. */
function keepVendored(cached) {
  // Written under another name and renamed: a build interrupted while copying leaves no half cache.
  const partial = `${cached}.${process.pid}.partial`;
  try {
    cpSync(join(root, 'dist', 'vendor'), partial, { recursive: true });
    renameSync(partial, cached);
    // One entry is kept: those of earlier installs (7 MB each) would only pile up.
    for (const entry of readdirSync(dirname(cached)))
      if (entry !== basename(cached)) rmSync(join(dirname(cached), entry), { recursive: true, force: true });
  } catch {
    // Not cached (read-only node_modules, a parallel build won the rename): the next build bundles again.
    rmSync(partial, { recursive: true, force: true });
  }
}

const emitted = await emit().catch((error) => {
  console.error(`build: ${error.message}`);
  return 1;
});
const checked = await typecheck;
if (checked !== 0) console.error('build: the type check failed (tsc -p tsconfig.test.json; see above)');
process.exit(emitted !== 0 || checked !== 0 ? 1 : 0);
