import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { childEnv, ROOT, tempDir, type CliResult } from '../helpers/cli.js';

// The package as a user gets it: `npm pack` (of the built dist/, as `npm test` builds first), installed by npm from
// the tarball into a folder of its own, then the README's quick start run through the installed bin from a project
// folder elsewhere, so nothing resolves from this checkout.
//
// The folder starts with the production dependency tree this checkout's lockfile pins (what `npm ci --omit=dev`
// installs), hard-linked from node_modules/, and npm installs the tarball on top: it checks that tree against the
// package's dependencies and changes what does not satisfy them. Extracting the same 9,000 files from npm's cache
// instead took 20 s of the file's 27. Development dependencies are not in the folder, so a runtime import of one
// still fails here as it would for a user.

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// A child must not inherit jest's VM-modules flag, its NODE_ENV or npm-run's settings for this package.
const ENV = childEnv({ FULFILL_DEBUG: '' });

/** Hard-links the files under `from` into `to`, without node_modules/ (and `skip`); package.json files are copies. */
function linkFiles(from: string, to: string, skip: readonly string[] = []): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)];
    if (entry.name === 'node_modules' || skip.includes(entry.name)) continue;
    else if (entry.isDirectory()) linkFiles(source, target);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (entry.name === 'package.json') copyFileSync(source, target);
    else linkSync(source, target);
  }
}

/**
 * Hard-links the lockfile's production packages (not `dev`, not `devOptional`, installed on this platform) from
 * this checkout into `dir`/node_modules, each package without its nested node_modules (those are entries of their
 * own). Nothing may write into a linked file: npm runs no scripts here (--ignore-scripts) and replaces, never edits,
 * a package it changes; package.json files, which tools do edit, are copies.
 */
function linkProductionTree(dir: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  const paths = Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.devOptional)
    .map(([path]) => path)
    .filter((path) => existsSync(join(ROOT, path)));
  for (const path of paths) linkFiles(join(ROOT, path), join(dir, path));
  // The bin links of those packages too: npm reinstalls a package whose bin link is missing.
  for (const bins of ['node_modules/.bin', ...paths.map((path) => join(path, 'node_modules', '.bin'))]) {
    if (!existsSync(join(ROOT, bins))) continue;
    for (const name of readdirSync(join(ROOT, bins))) {
      const target = readlinkSync(join(ROOT, bins, name));
      if (!existsSync(join(dir, bins, target))) continue;
      mkdirSync(join(dir, bins), { recursive: true });
      symlinkSync(target, join(dir, bins, name));
    }
  }
}

/**
 * The checkout as `npm pack` sees it, hard-linked into `dir`: every file but node_modules/ and .git (npm pack reads
 * neither; it writes only the tarball, to --pack-destination). From the checkout itself it walks node_modules/ for
 * bundled dependencies, which this package has none of (checked below): its 900 packages were ~0.9 s of the ~2.8 s
 * of CPU `npm pack` took here. The tarball is the same, byte for byte (same integrity).
 */
function linkCheckout(dir: string): void {
  linkFiles(ROOT, dir, ['.git']);
}

function run(file: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: ENV, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr, progress: '' });
      },
    );
  });
}

describe('the npm package', () => {
  const tmp = tempDir('fulfill-pack-');
  const checkout = join(tmp.dir, 'checkout');
  const tool = join(tmp.dir, 'tool');
  const project = join(tmp.dir, 'my-shop');
  let bin: string;
  let installed: string;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'index.js')))
      throw new Error('dist/ is missing: run npm run build first (npm test does)');
    // --ignore-scripts: no lifecycle script may rebuild or change the checkout while other tests read it.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect([pkg.bundleDependencies, pkg.bundledDependencies]).toEqual([undefined, undefined]);
    linkCheckout(checkout);
    const packing = run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp.dir], checkout);
    mkdirSync(tool);
    writeFileSync(join(tool, 'package.json'), JSON.stringify({ name: 'try-fulfill', version: '1.0.0', private: true }));
    linkProductionTree(tool);
    const packed = await packing;
    expect(packed.code).toBe(0);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    // --ignore-scripts: the linked packages' install scripts ran when this checkout was installed (and a script
    // must not write through a hard link into the checkout).
    const install = await run(
      NPM,
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--ignore-scripts',
        '--loglevel=error',
        join(tmp.dir, filename),
      ],
      tool,
      300_000,
    );
    if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
    installed = join(tool, 'node_modules', 'fulfill');
    bin = join(tool, 'node_modules', '.bin', 'fulfill');
  }, 360_000);
  afterAll(() => tmp.cleanup());

  it('holds the built CLI, the template and the licence, and nothing for development', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      private: boolean;
      license: string;
      engines: { node: string };
    };
    expect(manifest).toMatchObject({ private: false, license: 'MIT', engines: { node: '>=20.19' } });
    for (const file of [
      'LICENSE',
      'README.md',
      'bin/run.js',
      'dist/index.js',
      'oclif.manifest.json',
      'templates/project/storefront/catalog.json',
    ]) {
      expect(existsSync(join(installed, file))).toBe(true);
    }
    for (const file of ['bin/dev.js', 'src', 'test', 'dist/index.js.map', 'dist/lib/aws/testing'])
      expect(existsSync(join(installed, file))).toBe(false);
  });

  // The two tests that run the installed CLI share nothing but the installed folder: they run at the same time.
  it.concurrent(
    'runs the quick start through the installed bin: init, deploy, send-order --wait (both modes)',
    async () => {
      const init = await run(bin, ['init', project, '--name', 'my-shop', '--yes'], tmp.dir);
      expect(init.code).toBe(0);
      expect(existsSync(join(project, 'fulfill.config.json'))).toBe(true);
      expect(existsSync(join(project, 'storefront', 'index.html'))).toBe(true);

      expect((await run(bin, ['deploy', '--mode', 'orchestration'], project)).code).toBe(0);
      const sent = await run(bin, ['send-order', '--payment', 'creditCard', '--wait', '--json'], project);
      expect(sent.code).toBe(0);
      const envelope = JSON.parse(sent.stdout) as {
        status: number;
        result: { outcome: { status: string; mode: string; invoices: unknown[] } };
      };
      expect(envelope.status).toBe(0);
      expect(envelope.result.outcome).toMatchObject({ status: 'SUCCEEDED', mode: 'orchestration' });
      expect(envelope.result.outcome.invoices).toHaveLength(1);
      expect(
        (await run(bin, ['send-order', '--payment', 'giftCard', '--wait', '--expect', 'failed'], project)).code,
      ).toBe(0);

      expect((await run(bin, ['deploy', '--mode', 'events'], project)).code).toBe(0);
      const events = await run(
        bin,
        ['send-order', '--file', 'orders/credit-card-3p.json', '--wait', '--json'],
        project,
      );
      expect(JSON.parse(events.stdout)).toMatchObject({
        status: 0,
        result: { outcome: { status: 'SUCCEEDED', mode: 'events', seller: { type: '3P' } } },
      });
    },
    180_000,
  );

  it.concurrent('says which Node.js it needs on an older one: one line, exit code 2', async () => {
    // An older Node cannot be installed here; the check reads process.versions.node, so present an older one.
    const old = await run(
      process.execPath,
      [
        '--import',
        "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'18.20.4'})",
        join(installed, 'bin', 'run.js'),
        '--version',
      ],
      tmp.dir,
    );
    expect(old.code).toBe(2);
    expect(old.stdout).toBe('');
    expect(old.stderr.split('\n')[0]).toBe(
      'Error: fulfill needs Node.js 20.19 or newer (22 recommended); this is Node.js 18.20.4.',
    );
    const current = await run(bin, ['--version'], tmp.dir);
    expect(current).toMatchObject({ code: 0, stdout: expect.stringContaining('fulfill/0.1.0') });
  });
});
