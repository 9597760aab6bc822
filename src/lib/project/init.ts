import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE, configSchema, type Mode } from '../config/schema.js';
import { UserError } from '../errors.js';

export interface InitOptions {
  dir: string;
  name: string;
  mode: Mode;
  region: string;
  stage: string;
  force: boolean;
}

export interface InitResult {
  dir: string;
  app: string;
  mode: Mode;
  region: string;
  stage: string;
  files: string[];
}

export const TEMPLATE_DIR = fileURLToPath(new URL('../../../templates/project/', import.meta.url));

/** A valid app name from a folder name: `My Shop!` -> `my-shop`. */
export function defaultAppName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 24);
  return name || 'shop';
}

/** Writes a new project from `templates/project`; refuses a non-empty folder unless forced. */
export function initProject(options: InitOptions): InitResult {
  const dir = resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !options.force) {
    throw new UserError(`${options.dir} is not empty`, [
      'Choose an empty or new folder, or pass --force to write the template over it.',
    ]);
  }
  const config = configSchema.safeParse({
    app: options.name,
    stage: options.stage,
    mode: options.mode,
    region: options.region,
  });
  if (!config.success) {
    const issue = config.error.issues[0];
    const flag =
      { app: '--name', stage: '--stage', region: '--region', mode: '--mode' }[String(issue.path[0])] ??
      String(issue.path[0]);
    throw new UserError(`${flag} ${issue.message}`);
  }
  mkdirSync(dir, { recursive: true });
  cpSync(TEMPLATE_DIR, dir, { recursive: true, force: true });
  // npm drops .gitignore from published packages, so the template ships it as `gitignore`.
  if (existsSync(join(dir, 'gitignore'))) renameSync(join(dir, 'gitignore'), join(dir, '.gitignore'));
  const { app, stage, mode, region } = config.data;
  writeFileSync(
    join(dir, CONFIG_FILE),
    `${JSON.stringify({ app, stage, mode, target: 'local', region, handlersDir: 'handlers', workflow: 'workflow.asl.json', events: 'events.json', functions: { timeoutSeconds: 10, memoryMb: 256 }, api: { corsOrigins: ['http://localhost:4173', 'http://127.0.0.1:4173'], throttle: { rateLimit: 50, burstLimit: 100 } } }, null, 2)}\n`,
  );
  const readme = join(dir, 'README.md');
  if (existsSync(readme))
    writeFileSync(readme, readFileSync(readme, 'utf8').replaceAll('{{app}}', app).replaceAll('{{mode}}', mode));
  return { dir, app, mode, region, stage, files: listFiles(dir).filter((f) => !f.startsWith('.fulfill')) };
}

function listFiles(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else out.push(rel);
  }
  return out;
}
