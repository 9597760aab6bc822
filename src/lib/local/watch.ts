import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { loadBlueprint, type Blueprint } from '../blueprint/blueprint.js';
import { bundleHandlers, type HandlerBundle } from '../blueprint/bundle.js';
import { CONFIG_FILE, loadConfig, type Mode } from '../config/schema.js';
import type { DeployResult } from '../deploy/result.js';
import type { WatchReport, WatchRequest } from '../targets/target.js';
import { localDeploySteps } from './deploy.js';

/** Changes closer together than this are one redeploy (an editor's save writes, renames and touches files). */
const DEBOUNCE_MS = 25;

/**
 * The bundles of the last deploy, kept between redeploys: a handler is bundled again only when one of the files
 * esbuild read for it (its metafile inputs) changed, or when it is new, or the bundle kind (mode) changed.
 */
class BundleCache {
  private readonly bundles = new Map<string, HandlerBundle>();
  /** The handlers bundled by the last `bundle()` call. */
  rebundled: string[] = [];

  invalidate(changed: ReadonlySet<string>): void {
    for (const [key, bundle] of this.bundles) {
      if ((bundle.inputs ?? []).some((input) => changed.has(input))) this.bundles.delete(key);
    }
  }

  /** Every project file a bundle read (to watch those outside the handlers folder too). */
  inputs(): string[] {
    return [...new Set([...this.bundles.values()].flatMap((b) => b.inputs ?? []))];
  }

  readonly bundle = async (blueprint: Blueprint): Promise<HandlerBundle[]> => {
    const key = (entry: string) => `${blueprint.mode}:${entry}`;
    const missing = blueprint.handlers.filter((h) => !this.bundles.has(key(h.entry)));
    const fresh = await bundleHandlers(blueprint.projectDir, missing, blueprint.mode);
    missing.forEach((handler, i) => this.bundles.set(key(handler.entry), fresh[i]));
    this.rebundled = missing.map((h) => h.name);
    return blueprint.handlers.map((h) => this.bundles.get(key(h.entry))!);
  };
}

/**
 * `fulfill deploy --watch` on the local target: deploys once, then watches the config, the handlers folder (and
 * whatever else in the project a bundle imports), `workflow.asl.json` and `events.json` with chokidar. Each
 * burst of changes is one redeploy: validate again, bundle again only the handlers whose inputs changed, and
 * record the deployment in the stage (running `serve` processes pick it up, `send-order` runs it). A redeploy
 * that fails (validation, compilation) is reported and the stage keeps the last good deployment.
 */
export async function watchStage(projectDir: string, stage: string, request: WatchRequest): Promise<WatchReport> {
  const dir = resolve(projectDir);
  const cache = new BundleCache();
  const blueprintNow = () => loadBlueprint(dir, { ...(request.mode ? { mode: request.mode } : {}), stage });
  const deployOptions = {
    allowCycles: request.allowCycles,
    allowFlowErrors: request.allowFlowErrors,
    bundle: cache.bundle,
  };
  const first = localDeploySteps(blueprintNow(), deployOptions);
  await request.firstDeploy(first);
  const deployed: DeployResult = first.result();
  if (request.signal.aborted) return { deployed, redeploys: 0, failed: 0 };

  const { watch } = await import('chokidar');
  const watchedPaths = () => {
    const config = safeConfig(dir);
    const fixed = [CONFIG_FILE, config?.handlersDir ?? 'handlers', config?.workflow ?? 'workflow.asl.json'];
    fixed.push(config?.events ?? 'events.json');
    const roots = fixed.map((p) => join(dir, p));
    // Project files a bundle imports from outside the handlers folder (a shared `lib/` at the top) too.
    const extra = cache.inputs().filter((input) => insideProject(dir)(input) && !roots.some((r) => within(r, input)));
    return [...roots, ...extra];
  };
  const watcher = watch(watchedPaths(), {
    ignoreInitial: true,
    // The stage's own files, dependencies and editors' swap and backup files are not sources.
    ignored: (path: string) => /(^|[/\\])(node_modules|\.fulfill|\.git)([/\\]|$)|\.swp$|~$|\.tmp$/.test(path),
  });
  await new Promise<void>((ready, failed) => {
    watcher.once('ready', () => ready());
    watcher.once('error', failed);
  });
  // A watcher error later (e.g. too many watched files) is reported like a failed redeploy, and watching goes on.
  let lastMode: Mode = deployed.mode;
  watcher.on('error', (error) =>
    request.onRedeploy({ changed: [], rebundled: [], changes: [], mode: lastMode, durationMs: 0, error }),
  );
  request.onWatching({
    paths: watchedPaths()
      .filter((p) => existsSync(p))
      .map((p) => shown(dir, p)),
  });

  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let redeploys = 0;
  let failed = 0;

  const redeploy = async () => {
    if (pending.size === 0) return;
    const changed = new Set(pending);
    pending.clear();
    const started = performance.now();
    cache.invalidate(changed);
    const files = [...changed].map((p) => shown(dir, p)).sort();
    try {
      const blueprint = blueprintNow();
      const plan = localDeploySteps(blueprint, deployOptions);
      for (const step of plan.steps) await step.run();
      const result = plan.result();
      lastMode = result.mode;
      redeploys++;
      request.onRedeploy({
        changed: files,
        rebundled: cache.rebundled,
        changes: result.changes.filter((c) => c.action !== 'unchanged'),
        deployedAt: result.deployedAt,
        mode: result.mode,
        durationMs: Math.round(performance.now() - started),
      });
      // A bundle may import a project file outside the watched folders (a shared `lib/` at the top): watch it.
      watcher.add(watchedPaths());
    } catch (error) {
      failed++;
      request.onRedeploy({
        changed: files,
        rebundled: [],
        changes: [],
        mode: lastMode,
        durationMs: Math.round(performance.now() - started),
        error,
      });
    }
  };
  const onChange = (path: string) => {
    pending.add(resolve(dir, path));
    clearTimeout(timer);
    // One redeploy at a time: changes made during one wait for it and make the next.
    timer = setTimeout(() => {
      running = running.then(redeploy);
    }, DEBOUNCE_MS);
  };
  watcher.on('all', (_event, path) => onChange(path));

  await new Promise<void>((stop) => {
    if (request.signal.aborted) stop();
    request.signal.addEventListener('abort', () => stop(), { once: true });
  });
  clearTimeout(timer);
  await watcher.close();
  await running;
  return { deployed, redeploys, failed };
}

function safeConfig(dir: string) {
  try {
    return loadConfig(dir);
  } catch {
    return undefined;
  }
}

function insideProject(dir: string) {
  return (path: string) => {
    const rel = relative(dir, path);
    return !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('node_modules');
  };
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function shown(dir: string, path: string): string {
  return relative(dir, path).split(sep).join('/') || '.';
}
