import { statSync } from 'node:fs';
import type { OrderOutcome } from '../order/outcome.js';
import type { LocalApi } from './api.js';
import { LocalBackend, type LocalBackendOptions } from './backend.js';
import type { StateError } from './state-error.js';
import { LocalStore } from './store.js';

/**
 * Between requests the stage is checked this often too, so a redeploy's backend is started (and its code loaded)
 * before the next order arrives rather than on its request.
 */
const POLL_MS = 200;

export interface LiveStageHooks {
  /** One line for people: a redeploy picked up, the stage destroyed, a backend that failed to start. */
  log: (line: string) => void;
  /** A write of a backend failed in the background (disk full, ...). */
  onFault: (error: StateError) => void;
}

/**
 * The deployed stage as a long-running process (`serve`) sees it: the backend of the current deployment, swapped
 * when another process deploys again (`deploy`, `deploy --watch`, a mode switch) and dropped after `destroy`.
 *
 * Noticing costs one `stat` of state.db and one primary-key read of `deployment.deployed_at` per check (before
 * each API request, and every 200 ms between them): no file watcher on the database. New orders go to the new backend; orders in flight finish on the
 * backend that accepted them, which is closed once its last one ends.
 */
export class LiveStage {
  private current: LocalBackend | undefined;
  private readonly dbFile: string;
  /** The database file (inode) the current backend reads: destroy + deploy makes a new file. */
  private inode: number | undefined;
  /** A deployment that failed to start: not retried until another deploy replaces it. */
  private failed: { inode: number; deployedAt: string } | undefined;
  private switching: Promise<void> | undefined;
  private readonly inFlight = new Map<LocalBackend, number>();
  private readonly retiring = new Set<LocalBackend>();
  private readonly closing = new Set<Promise<void>>();
  private readonly poll: NodeJS.Timeout;
  /** The API of the last deployment, for the CORS headers of the 503 answers after destroy. */
  lastApi: LocalApi;

  private constructor(
    private readonly projectDir: string,
    readonly stage: string,
    private readonly options: LocalBackendOptions,
    private readonly hooks: LiveStageHooks,
    first: LocalBackend,
  ) {
    this.dbFile = first.store.dbFile;
    this.adopt(first);
    this.inode = inodeOf(this.dbFile);
    this.lastApi = first.api;
    // A failing check (a damaged database) is reported by the next request, as its answer.
    this.poll = setInterval(() => void this.backend().catch(() => undefined), POLL_MS);
    this.poll.unref();
  }

  /** Starts the current deployment's backend; a stage that is not deployed is a user error, as before. */
  static async start(
    projectDir: string,
    stage: string,
    options: LocalBackendOptions,
    hooks: LiveStageHooks,
  ): Promise<LiveStage> {
    const backend = await LocalBackend.start(projectDir, stage, options);
    return new LiveStage(projectDir, stage, options, hooks, backend);
  }

  /** The backend new orders go to, after checking for a redeploy; undefined when the stage is not deployed. */
  async backend(): Promise<LocalBackend | undefined> {
    if (this.switching) await this.switching;
    if (this.changed()) {
      this.switching ??= this.switchOver().finally(() => (this.switching = undefined));
      await this.switching;
    }
    return this.current;
  }

  /** Follows an order the backend accepted: the backend stays open until the order ends. */
  follow(backend: LocalBackend, orderId: string): Promise<OrderOutcome> | undefined {
    const running = backend.running(orderId);
    if (!running) return undefined;
    this.inFlight.set(backend, (this.inFlight.get(backend) ?? 0) + 1);
    const settled = () => {
      const left = (this.inFlight.get(backend) ?? 1) - 1;
      this.inFlight.set(backend, left);
      if (left === 0 && this.retiring.has(backend)) this.closeRetired(backend);
    };
    void running.then(settled, settled);
    return running;
  }

  /** Whether the deployment in the stage differs from the one the current backend runs. */
  private changed(): boolean {
    const inode = inodeOf(this.dbFile);
    if (inode === undefined) return this.current !== undefined; // destroyed
    if (!this.current || inode !== this.inode) return true;
    const deployedAt = this.current.store.deployedAt();
    if (deployedAt === undefined) return true;
    return deployedAt !== this.current.deployment.deployedAt && !this.hasFailed(inode, deployedAt);
  }

  private hasFailed(inode: number | undefined, deployedAt: string): boolean {
    const failed = this.failed;
    return failed !== undefined && failed.inode === inode && failed.deployedAt === deployedAt;
  }

  private async switchOver(): Promise<void> {
    const probe = new LocalStore(this.projectDir, this.stage);
    const inode = inodeOf(this.dbFile);
    let deployedAt: string | undefined;
    try {
      // Reads only: a stage destroyed meanwhile is not created again (open refuses a missing file).
      deployedAt = inode !== undefined && probe.exists() ? probe.readDeployment()?.deployedAt : undefined;
    } catch {
      deployedAt = undefined; // a damaged record: not deployed, as far as new orders go
    } finally {
      probe.close();
    }
    const previous = this.current;
    if (deployedAt === undefined || inode === undefined) {
      if (!previous) return;
      this.current = undefined;
      this.inode = undefined;
      this.retire(previous);
      this.hooks.log(`fulfill serve: stage "${this.stage}" was destroyed; answering 503 until the next deploy`);
      return;
    }
    if (this.hasFailed(inode, deployedAt)) return;
    let next: LocalBackend;
    try {
      next = await LocalBackend.start(this.projectDir, this.stage, this.options);
    } catch (error) {
      // Keep serving the previous deployment (if any): a bundle that cannot load must not take the API down.
      this.failed = { inode, deployedAt };
      this.hooks.log(`fulfill serve: the deployment of ${deployedAt} did not start: ${firstLine(error)}`);
      return;
    }
    this.failed = undefined;
    this.adopt(next);
    this.inode = inode;
    if (previous) this.retire(previous);
    const mode = previous && previous.mode !== next.mode ? `${previous.mode} → ${next.mode}` : next.mode;
    const waiting = previous ? (this.inFlight.get(previous) ?? 0) : 0;
    this.hooks.log(
      `fulfill serve: picked up the deployment of ${next.deployment.deployedAt} (${mode})${waiting ? `; ${waiting} order(s) in flight finish on the previous one` : ''}`,
    );
  }

  private adopt(backend: LocalBackend): void {
    backend.store.onFault = this.hooks.onFault;
    this.current = backend;
    this.lastApi = backend.api;
  }

  private retire(backend: LocalBackend): void {
    this.retiring.add(backend);
    if ((this.inFlight.get(backend) ?? 0) === 0) this.closeRetired(backend);
  }

  private closeRetired(backend: LocalBackend): void {
    this.retiring.delete(backend);
    this.inFlight.delete(backend);
    const closing = backend
      .close()
      .catch((error: unknown) => this.hooks.log(`fulfill serve: closing the previous deployment: ${firstLine(error)}`))
      .finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }

  /** Closes every backend (the current one, and previous ones still finishing orders). */
  async close(options: { force?: boolean } = {}): Promise<void> {
    clearInterval(this.poll);
    if (this.switching) await this.switching;
    const backends = [...this.retiring, ...(this.current ? [this.current] : [])];
    this.retiring.clear();
    this.current = undefined;
    const results = await Promise.allSettled([...backends.map((b) => b.close(options)), ...this.closing]);
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
