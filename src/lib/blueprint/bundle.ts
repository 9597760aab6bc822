import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message } from 'esbuild';
import { UserError } from '../errors.js';
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
  const esbuild = await import('esbuild');
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
      try {
        const result = await esbuild.build({
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
        });
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
        return { name: handler.name, code, sha256, externals, inputs };
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
