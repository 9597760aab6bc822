#!/usr/bin/env node
// Build step after the transpile (scripts/build.js): the dependencies that dominate the CLI's start-up are
// pre-bundled with esbuild into one CommonJS file each under dist/vendor/, which the CLI compiles with the V8 code
// cache the build writes beside it (lib/vendor/load-bundle.ts: 70-110 ms of CPU less per command), and the
// compiled modules' imports of them point at a small ES module per package that loads its bundle.
// Node then reads one file per package instead of resolving, reading and (for CommonJS) lexing tens to hundreds
// (@oclif/core 66 files, zod 95, the engine with its AWS SDK client and validator several hundred): the module
// loader was most of a command's CPU time. The code is the packages' own, unchanged; only how it is packaged.
// Measured here (CPU of `node -e "await import(x)"`, Node 20, medians of 9): @oclif/core 0.24 -> 0.14 s,
// zod 0.22 -> 0.16 s, aws-local-stepfunctions 0.46 -> 0.26 s (node -e 0: 0.08-0.11 s).
// Only dist/ is rewritten: the tests run the TypeScript sources (with the ES module builds of dist/vendor/jest/ for
// the packages jest.config.js maps), and the
// oclif plugins (not-found, autocomplete) keep loading their own @oclif/core, as plugins with their own copy do.
import { build } from 'esbuild';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aslPrecompiled } from './asl-precompiled.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const vendorDir = join(dist, 'vendor');
const require = createRequire(join(root, 'package.json'));

/**
 * Package -> its bundle, CommonJS, loaded through the V8 code cache the build writes beside it (see
 * lib/vendor/load-bundle.ts). `required`: required on first use (lib/vendor/require-vendored.ts). Else an ES module
 * of the package's name loads the bundle (`<name>.cjs`) and exports its named exports; `self`: the bundle's `require`,
 * `__filename` and `__dirname` are the installed package's (@oclif/core reads its package.json next to itself).
 * `jest`: also bundled as an ES module into dist/vendor/jest/, which the tests import in its place (jest.config.js):
 * jest's own CommonJS loader took 190 ms of CPU per test file for the two CommonJS bundles, 65 ms for these, and the
 * loader runs a bundle in Node's main realm, not in the test file's. Not in the package (package.json "files").
 */
const VENDORED = [
  { name: '@oclif/core', file: 'oclif-core.js', self: true },
  { name: 'zod', file: 'zod.js', jest: true },
  { name: 'velocityjs', file: 'velocityjs.js', jest: true },
  { name: 'aws-local-stepfunctions', file: 'aws-local-stepfunctions.js', deferred: 'engine', jest: true },
  // 0.12 -> 0.03 s of CPU to require (Ajv and its vocabularies are ~100 files); with its schemas compiled ahead of
  // time (asl-precompiled.js), a first validation costs 0.4-0.8 s less.
  { name: 'asl-validator', file: 'asl-validator.cjs', required: true, plugins: [aslPrecompiled(require)] },
];

/**
 * Imports a vendored package makes at load time but uses only on paths fulfill never takes, each bundled into a
 * CommonJS file of its own (`<file>.<group>.cjs`) that is required on first use. aws-local-stepfunctions imports
 * the AWS Lambda client with its credential providers (for Tasks without a local handler: fulfill gives every
 * Task one) and asl-validator 3 (the state machine is built with `noValidate`; deploy validates with ours): 1.7 of
 * its 2.3 MB, compiled and run by every orchestration command. Each import becomes a module whose exports load
 * the real package when first constructed, called or read, so a path that does use them still gets the real code.
 * esbuild fails the build if the engine imports a name not listed here (e.g. after an upgrade). Measured (CPU of
 * `node -e "await import(engine)"`, medians of 5, node -e 0 at 0.08 s): 0.26 -> 0.13 s; the main thread of one
 * orchestration `send-order --wait`: about 650 -> 400 ms.
 */
const DEFERRED = {
  engine: [
    { module: '@aws-sdk/client-lambda', exports: ['LambdaClient', 'InvokeCommand'] },
    { module: '@aws-sdk/credential-providers', exports: ['fromCognitoIdentityPool'] },
    { module: 'asl-validator', exports: ['default'] },
  ],
};

/** What every bundle here is built with (a CommonJS bundle for Node 20; `format` changes it for jest's builds). */
const BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'eof',
};

/** The chunks written so far: the bundle and its jest build share one. */
const deferredChunks = new Map();

/**
 * The esbuild plugin that swaps a package's deferred imports for loaders of `<file>.<group>.cjs` (written first),
 * for a bundle in dist/vendor/`subdir`.
 */
async function deferredImports(pkg, subdir = '') {
  const modules = DEFERRED[pkg.deferred];
  const chunk = pkg.file.replace(/\.js$/, `.${pkg.deferred}.cjs`);
  if (!deferredChunks.has(chunk)) deferredChunks.set(chunk, writeDeferredChunk(pkg, modules, chunk));
  await deferredChunks.get(chunk);
  const chunkPath = subdir ? `../${chunk}` : `./${chunk}`;
  const filter = new RegExp(`^(${modules.map((m) => m.module.replace(/[/.-]/g, '\\$&')).join('|')})$`);
  return {
    name: 'deferred-imports',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'deferred' }));
      b.onResolve({ filter: /^fulfill:deferred$/ }, () => ({ path: 'binding', namespace: 'deferred-binding' }));
      b.onLoad({ filter: /.*/, namespace: 'deferred-binding' }, () => ({ contents: DEFERRED_BINDING, loader: 'js' }));
      // The chunk is required at run time, from dist/vendor/.
      b.onResolve({ filter: /.*/, namespace: 'deferred' }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => {
        const index = modules.findIndex((m) => m.module === args.path);
        const load = `() => require('${chunkPath}')[${index}]`;
        const lines = modules[index].exports.map((name) =>
          name === 'default'
            ? `export default deferred(${load}, undefined);`
            : `export const ${name} = deferred(${load}, '${name}');`,
        );
        return { contents: `import { deferred } from 'fulfill:deferred';\n${lines.join('\n')}\n`, loader: 'js' };
      });
    },
  };
}

/** Bundles the deferred `modules` of `pkg` into dist/vendor/`chunk`. */
async function writeDeferredChunk(pkg, modules, chunk) {
  // Resolved from the package's own folder, so its own versions are bundled (the engine's asl-validator is 3.x).
  const resolveDir = dirname(require.resolve(pkg.name));
  await build({
    stdin: {
      contents: modules.map((m, i) => `exports[${i}] = require('${m.module}');`).join('\n'),
      resolveDir,
      sourcefile: `${chunk}.entry.js`,
    },
    ...BUNDLE,
    outfile: join(vendorDir, chunk),
  });
}

/**
 * A stand-in for a function or class exported by a deferred module: constructing it, calling it or reading a
 * property loads the module and forwards to the real export (`name` undefined: the module itself, CommonJS's
 * default export).
 */
const DEFERRED_BINDING = `export function deferred(load, name) {
  const real = () => (name === undefined ? load() : load()[name]);
  return new Proxy(function () {}, {
    construct: (_, args) => Reflect.construct(real(), args),
    apply: (_, self, args) => Reflect.apply(real(), self, args),
    get: (_, key) => Reflect.get(real(), key),
  });
}`;

// `bundles` writes dist/vendor/, `imports` points the compiled modules at it, no argument does both: the build
// (scripts/build.js) writes the oclif manifest beside `bundles`, from the commands as compiled, then runs `imports`.
const phase = process.argv[2] ?? 'all';
if (!['all', 'bundles', 'imports'].includes(phase)) throw new Error(`vendor: unknown phase ${phase}`);
if (phase === 'imports') {
  walk(dist);
  process.exit(0);
}

/**
 * The esbuild plugin that rewrites a cached bundle's `import()` calls to `__fulfillImport()`, the import the loader
 * gives the bundle (a script compiled from a code cache cannot import() on Node 20: lib/vendor/load-bundle.ts).
 * Not inside a string or after a property access; the build fails if the bundle still has one.
 */
const DYNAMIC_IMPORT = /(?<![\w$.'"`])import\(/;
const dynamicImports = {
  name: 'dynamic-imports',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      return DYNAMIC_IMPORT.test(source)
        ? { contents: source.replace(new RegExp(DYNAMIC_IMPORT, 'g'), '__fulfillImport('), loader: 'js' }
        : undefined;
    });
  },
};

/** The build fails if the bundle `file` still calls import() (outside comments). */
function checkNoDynamicImport(file) {
  const code = readFileSync(join(vendorDir, file), 'utf8');
  const left = code.split('\n').filter((line) => !/^\s*(\/\/|\*)/.test(line) && DYNAMIC_IMPORT.test(line));
  if (left.length > 0) throw new Error(`vendor: ${file} still calls import(): ${left[0].trim().slice(0, 100)}`);
}

for (const pkg of VENDORED.filter((p) => p.required)) {
  await build({
    stdin: {
      contents: `module.exports = require('${pkg.name}');\n`,
      resolveDir: root,
      sourcefile: `${pkg.file}.entry.js`,
    },
    ...BUNDLE,
    outfile: join(vendorDir, pkg.file),
    plugins: [...(pkg.plugins ?? []), dynamicImports],
  });
  checkNoDynamicImport(pkg.file);
}

for (const pkg of VENDORED.filter((p) => !p.required)) {
  const bundle = pkg.file.replace(/\.js$/, '.cjs');
  await build({
    ...BUNDLE,
    stdin: { contents: `export * from '${pkg.name}';\n`, resolveDir: root, sourcefile: `${bundle}.entry.js` },
    outfile: join(vendorDir, bundle),
    // Loaded only on paths the CLI does not take (oclif's TypeScript support for plugins in development).
    external: ['typescript', 'ts-node'],
    plugins: [dynamicImports, ...(pkg.deferred ? [await deferredImports(pkg)] : [])],
  });
  checkNoDynamicImport(bundle);
  // Its named exports, as the module exports them once loaded (esbuild's getters are read once, at import).
  const names = Object.keys(require(join(vendorDir, bundle))).filter((k) => k !== 'default' && k !== '__esModule');
  const as = pkg.self ? `createRequire(import.meta.url).resolve('${pkg.name}')` : 'undefined';
  const facade = [
    `// ${pkg.name}, bundled by scripts/vendor.js into ./${bundle} and loaded through its code cache.`,
    ...(pkg.self ? ["import { createRequire } from 'node:module';"] : []),
    "import { loadBundle } from '../lib/vendor/load-bundle.js';",
    `const bundle = loadBundle(new URL('./${bundle}', import.meta.url), ${as});`,
    ...names.map((name, i) => `const _${i} = bundle[${JSON.stringify(name)}];`),
    `export { ${names.map((name, i) => `_${i} as ${name}`).join(', ')} };`,
  ];
  writeFileSync(join(vendorDir, pkg.file), `${facade.join('\n')}\n`);
}

for (const pkg of VENDORED.filter((p) => p.jest)) {
  // CommonJS inside an ESM bundle: `require` for Node's built-ins and what stays external.
  const banner = [
    "import { createRequire as __fulfillCreateRequire } from 'node:module';",
    'const require = __fulfillCreateRequire(import.meta.url);',
  ].join('\n');
  await build({
    ...BUNDLE,
    format: 'esm',
    stdin: { contents: `export * from '${pkg.name}';\n`, resolveDir: root, sourcefile: `${pkg.file}.entry.js` },
    outfile: join(vendorDir, 'jest', pkg.file),
    banner: { js: banner },
    plugins: pkg.deferred ? [await deferredImports(pkg, 'jest')] : [],
  });
}

/**
 * The AWS SDK clients the local Lambda runtime provides to functions as "the runtime's SDK" (bundles leave
 * `@aws-sdk/*` external, as for Lambda's nodejs22.x, which provides it): the events wrapper's EventBridge client,
 * required by every events-mode function. From node_modules an environment resolves, stats, reads and hashes
 * (for its code cache) about 25 CommonJS files of the client and its dependencies; as one CommonJS file it loads
 * one (lib/local/lambda.ts, runtimeSdkBundles). The code is the installed packages' own, bundled unchanged, so
 * each file is the same SDK at the same version as the copy in node_modules; Lambda's runtime likewise provides
 * the SDK as one copy of its own. Measured (process CPU per fresh events-mode environment: start, first invocation,
 * stop, warm code cache; medians of 6 runs of 20, 2 busy cores): 119 -> 84 ms; warm in-process `send-order
 * --payment creditCard --wait`, events mode (5 environments): 680 -> 482 ms of CPU per command.
 * Not imported by any command module: only the worker threads of the local runtime load these files. The other
 * clients fulfill installs (for its AWS target) stay in node_modules: no wrapper or scaffolded handler requires
 * them, and each bundle adds about 1 MB to the package; a handler that requires one loads it from there as before.
 */
const RUNTIME_SDK = ['@aws-sdk/client-eventbridge'];

/** Resolved as the local runtime resolves fulfill's own copy: from dist/lib/local/lambda.js. */
const runtimeRequire = createRequire(join(dist, 'lib', 'local', 'lambda.js'));
const runtimeSdk = {};
for (const name of RUNTIME_SDK) {
  const file = `${name.replace(/^@/, '').replace('/', '-')}.cjs`;
  const installed = JSON.parse(readFileSync(runtimeRequire.resolve(`${name}/package.json`), 'utf8')).version;
  const result = await build({
    stdin: { contents: `module.exports = require('${name}');\n`, resolveDir: root, sourcefile: `${file}.entry.js` },
    ...BUNDLE,
    absWorkingDir: root,
    // Resolved as Node's require resolves them (conditions require, node, default; package.json `main`), so the
    // bundle holds the same dist-cjs files node_modules serves: esbuild's default `module` condition and field
    // would pick the packages' dist-es builds (485 of 504 files) instead.
    conditions: [],
    mainFields: ['main'],
    outfile: join(vendorDir, file),
    banner: { js: `// ${name} ${installed}, bundled by fulfill's scripts/vendor.js from the package, unchanged.` },
    metafile: true,
  });
  // The file esbuild bundled for `require(name)` must be the one the runtime would load instead, and its
  // package's version the installed one: the build fails rather than ship other SDK code or another version.
  const entry = join(root, result.metafile.inputs[`${file}.entry.js`].imports[0].path);
  const version = packageVersion(entry, name);
  if (entry !== runtimeRequire.resolve(name) || version !== installed) {
    throw new Error(`vendor: ${file} would bundle ${entry} (${name} ${version}); the runtime loads ${installed}`);
  }
  runtimeSdk[name] = { file, version };
}
// What lib/local/lambda.ts reads to find the bundles; it uses one only while its version is the installed one.
writeFileSync(join(vendorDir, 'runtime-sdk.json'), `${JSON.stringify(runtimeSdk, null, 2)}\n`);

/** The version in the package.json of package `name` that holds `file`. */
function packageVersion(file, name) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch {
      // No package.json here: look further up.
    }
  }
  throw new Error(`vendor: no package.json of ${name} above ${file}`);
}

/** `from 'pkg'`, `import('pkg')` and `createRequire(...)('pkg')` in every compiled module, pointed at the bundle. */
function rewrite(file) {
  const source = readFileSync(file, 'utf8');
  let out = source;
  for (const pkg of VENDORED) {
    let target = relative(dirname(file), join(vendorDir, pkg.file)).split(sep).join('/');
    if (!target.startsWith('.')) target = `./${target}`;
    for (const quote of ["'", '"']) {
      out = out
        .replaceAll(`from ${quote}${pkg.name}${quote}`, `from ${quote}${target}${quote}`)
        .replaceAll(`import(${quote}${pkg.name}${quote})`, `import(${quote}${target}${quote})`)
        .replaceAll(`)(${quote}${pkg.name}${quote})`, `)(${quote}${target}${quote})`);
    }
  }
  if (out !== source) writeFileSync(file, out);
}

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== vendorDir) walk(path);
    } else if (entry.name.endsWith('.js')) rewrite(path);
  }
}
if (phase === 'all') walk(dist);
