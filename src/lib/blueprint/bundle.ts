import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Message } from 'esbuild';
import { UserError } from '../errors.js';
import { STATE_DIR } from '../project/state.js';
import type { HandlerSpec } from './handlers.js';

export interface HandlerBundle {
  readonly name: string;
  /** CommonJS source exporting `handler`: what Lambda runs (as index.js in the zip) and what the local runtime loads. */
  readonly code: string;
  /** sha256 (hex) of `code`, to skip unchanged functions. */
  readonly sha256: string;
  /** The packages the bundle leaves to the runtime (the AWS SDK), with the file importing each. */
  readonly externals?: ReadonlyArray<{ readonly module: string; readonly importer: string }>;
  /** Every file esbuild read for this bundle (esbuild's metafile inputs), absolute: what a change must rebundle. */
  readonly inputs?: readonly string[];
}

export type BundleKind = 'orchestration' | 'events';

/**
 * Bundles each handler with esbuild. The AWS SDK stays external: the Lambda Node.js runtime provides it,
 * and the local runtime provides the copy fulfill itself ships, so both run the same SDK code path.
 * In events mode the entry point wraps the handler with the events wrapper (see runtime/events-wrapper.ts).
 */
export async function bundleHandlers(
  projectDir: string,
  handlers: readonly HandlerSpec[],
  kind: BundleKind,
): Promise<HandlerBundle[]> {
  let esbuild: Promise<typeof import('esbuild')> | undefined;
  const wrapper = eventsWrapperPath();
  return Promise.all(
    handlers.map(async (handler) => {
      const entry =
        kind === 'events'
          ? {
              stdin: {
                contents: `import { handler as inner } from ${JSON.stringify(handler.entry)};\nimport { wrapForEvents } from ${JSON.stringify(wrapper)};\nexport const handler = wrapForEvents(inner);\n`,
                resolveDir: dirname(handler.entry),
                sourcefile: `${handler.name}.events-entry.ts`,
                loader: 'ts' as const,
              },
            }
          : { entryPoints: [handler.entry] };
      const options = {
        ...entry,
        bundle: true,
        // Paths esbuild writes into the bundle are relative to this: the same sources give the same code
        // (and CodeSha256) whichever folder fulfill runs from.
        absWorkingDir: projectDir,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        external: ['@aws-sdk/*', '@smithy/*'],
        write: false,
        metafile: true,
        logLevel: 'silent',
        legalComments: 'none',
        charset: 'utf8',
      } satisfies BuildOptions;
      const cache = new BundleCache(projectDir, kind, handler.name, options);
      const cached = cache.read();
      if (cached) return cached;
      const startedAt = Date.now();
      try {
        const result = await (await (esbuild ??= import('esbuild'))).build(options);
        const code = result.outputFiles[0].text;
        const externals = Object.entries(result.metafile.inputs).flatMap(([importer, input]) =>
          input.imports.filter((i) => i.external).map((i) => ({ module: packageName(i.path), importer })),
        );
        // Paths relative to absWorkingDir; the events entry is stdin, named by its sourcefile, which is no file.
        const stdinEntry = entry.stdin ? resolve(entry.stdin.resolveDir, entry.stdin.sourcefile) : undefined;
        const inputs = Object.keys(result.metafile.inputs)
          .filter((input) => !input.startsWith('<stdin>'))
          .map((input) => resolve(projectDir, input))
          .filter((input) => input !== stdinEntry);
        const sha256 = createHash('sha256').update(code).digest('hex');
        const bundle = { name: handler.name, code, sha256, externals, inputs };
        cache.write(bundle, startedAt);
        return bundle;
      } catch (error) {
        const first = (error as { errors?: Message[] }).errors?.[0];
        if (!first) throw error;
        const where = first.location
          ? `${relative(projectDir, first.location.file) || first.location.file}:${first.location.line}:${first.location.column + 1}`
          : handler.entry;
        throw new UserError(`${where}: handler "${handler.name}" does not compile: ${first.text}`, [
          'Fix the handler source and run deploy again.',
        ]);
      }
    }),
  );
}

/** Whether a file with this modification time may have changed at or after `since` (coarse times: 2 s margin). */
function changedSince(mtimeMs: number, since: number): boolean {
  return mtimeMs >= (mtimeMs % 1000 === 0 ? since - 2000 : since);
}

interface CacheEntry {
  key: string;
  fingerprint: string;
  inputs: string[];
  bundle: Omit<HandlerBundle, 'inputs'>;
}

/**
 * The last bundle of one handler, under the project's own `.fulfill/cache/bundles/`, reused while nothing esbuild
 * read or could have resolved differently changed: a redeploy, `deploy --watch` and `iam check` rebundle only the
 * handlers whose sources changed (esbuild itself keeps no cache between builds). Hand-written because esbuild's
 * incremental `context` lives in one process only. Valid while the build options (entry, fulfill's wrapper path,
 * esbuild's version) are the same and the fingerprint matches: the content of every input, the names in every
 * folder holding an input (a new `x.tsx` beside `x.ts`, a new `node_modules/`, would resolve differently), and
 * every package.json / tsconfig.json / jsconfig.json from those folders up to the project folder. A cache that
 * cannot be read or written is no cache: the handler is bundled as before.
 */
class BundleCache {
  private readonly file: string | undefined;
  private readonly key: string;

  constructor(
    private readonly projectDir: string,
    kind: BundleKind,
    name: string,
    options: BuildOptions,
  ) {
    // Handler names come from file names; one that is no plain file name is simply not cached.
    this.file = /^[\w.-]+$/.test(name)
      ? join(projectDir, STATE_DIR, 'cache', 'bundles', `${kind}.${name}.json`)
      : undefined;
    this.key = sha256(JSON.stringify({ esbuild: esbuildVersion(), options }));
  }

  read(): HandlerBundle | undefined {
    if (!this.file) return undefined;
    try {
      const entry = JSON.parse(readFileSync(this.file, 'utf8')) as CacheEntry;
      if (entry.key !== this.key) return undefined;
      const inputs = entry.inputs.map((input) => resolve(this.projectDir, input));
      if (entry.fingerprint !== this.fingerprint(inputs)) return undefined;
      if (sha256(entry.bundle.code) !== entry.bundle.sha256) return undefined;
      return { ...entry.bundle, inputs };
    } catch {
      return undefined;
    }
  }

  /**
   * Records a bundle built at `startedAt`, unless an input changed since: esbuild may have read the content before
   * that change and the fingerprint the content after it (an edit under `deploy --watch`). A modification time in
   * whole seconds comes from a file system with coarse times (FAT: 2 s), where "since" needs that margin. Such a
   * bundle is simply built again next time.
   */
  write(bundle: HandlerBundle, startedAt: number): void {
    if (!this.file) return;
    const inputs = bundle.inputs ?? [];
    const { inputs: _, ...rest } = bundle;
    try {
      // The fingerprint first: a change after the check below is one the fingerprint has not seen either.
      const entry: CacheEntry = {
        key: this.key,
        fingerprint: this.fingerprint(inputs),
        inputs: inputs.map((input) => relative(this.projectDir, input)),
        bundle: rest,
      };
      if (inputs.some((input) => changedSince(statSync(input).mtimeMs, startedAt))) return;
      mkdirSync(dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(entry));
      renameSync(temporary, this.file);
    } catch {
      // Best effort: the next deploy bundles again.
    }
  }

  private fingerprint(inputs: readonly string[]): string {
    const hash = createHash('sha256');
    const folders = new Set<string>();
    const configs = new Set<string>();
    for (const input of inputs) {
      hash.update(`${input}\0`).update(readFileSync(input)).update('\0');
      folders.add(dirname(input));
      for (let dir = dirname(input); ; dir = dirname(dir)) {
        for (const name of ['package.json', 'tsconfig.json', 'jsconfig.json']) configs.add(join(dir, name));
        if (dir === this.projectDir || !dir.startsWith(this.projectDir + sep) || dir === dirname(dir)) break;
      }
    }
    for (const folder of [...folders].sort()) hash.update(`${folder}:${readdirSync(folder).sort().join('/')}\0`);
    for (const config of [...configs].sort()) {
      hash
        .update(`${config}\0`)
        .update(existsSync(config) ? readFileSync(config) : '-')
        .update('\0');
    }
    return hash.digest('hex');
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let esbuildVersionRead: string | undefined;
/** esbuild's version from its package.json: another esbuild may bundle the same sources differently. */
function esbuildVersion(): string {
  return (esbuildVersionRead ??= (createRequire(import.meta.url)('esbuild/package.json') as { version: string })
    .version);
}

/** The events wrapper source: compiled JS when fulfill runs from dist, the TypeScript source under tests. */
function eventsWrapperPath(): string {
  const js = fileURLToPath(new URL('../runtime/events-wrapper.js', import.meta.url));
  return existsSync(js) ? js : js.replace(/\.js$/, '.ts');
}

/**
 * The local target runs a bundle's SDK imports the way Lambda's runtime provides them: from the project's
 * node_modules first, then from fulfill's own (see LocalLambda). A package in neither would fail every
 * invocation with "Cannot find module": say so at deploy, in one line naming the package to install.
 */
export function checkExternals(projectDir: string, bundles: readonly HandlerBundle[]): void {
  const fromProject = createRequire(resolve(projectDir, 'package.json'));
  const fromFulfill = createRequire(import.meta.url);
  for (const bundle of bundles) {
    for (const { module, importer } of bundle.externals ?? []) {
      if (resolvable(fromProject, module) || resolvable(fromFulfill, module)) continue;
      throw new UserError(
        `${importer}: handler "${bundle.name}" imports ${module}, which is installed neither in the project nor with fulfill`,
        [
          `Run \`npm install ${module}\` in the project folder (on AWS, Lambda's nodejs22.x runtime provides every @aws-sdk/client-* package).`,
        ],
      );
    }
  }
}

function resolvable(require: NodeJS.Require, module: string): boolean {
  try {
    require.resolve(module);
    return true;
  } catch {
    return false;
  }
}

/** `@aws-sdk/client-s3/dist-cjs/x` -> `@aws-sdk/client-s3`. */
function packageName(path: string): string {
  const parts = path.split('/');
  return path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
