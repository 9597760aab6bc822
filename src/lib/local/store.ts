import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Mode } from '../config/schema.js';
import { matchesFilter, type LogEntry, type LogFilter } from '../logs/entry.js';
import type { OrderOutcome } from '../order/outcome.js';

import { STATE_DIR } from '../project/state.js';

/** What `deploy` records for the local target: enough for `send-order` to run the stage without the sources. */
export interface LocalDeployment {
  app: string;
  stage: string;
  mode: Mode;
  region: string;
  deployedAt: string;
  /** Hash of the blueprint and bundles, to tell whether a re-deploy changed anything. */
  fingerprint: string;
  functions: Array<{ name: string; functionName: string; sha256: string; file: string }>;
}

export interface ExecutionRecord {
  orderId: string;
  executionArn: string;
  mode: Mode;
  /** The order JSON as submitted: StartExecution is idempotent only for the same name *and* input. */
  input: string;
  startDate: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  /** Process that runs the execution; lets other processes tell a live execution from an interrupted one. */
  pid: number;
}

/**
 * The local target's durable store, under `<project>/.fulfill/local/<stage>/`:
 * `deployment.json`, `build/<handler>.cjs`, `log.jsonl` (every log entry, appended, readable while it grows),
 * `executions/<orderId>.json` and `outcomes/<orderId>.json`. Several processes (send-order, logs --follow,
 * serve) share it: appends are single `write` calls on an O_APPEND descriptor, records are written
 * atomically (write + rename), and an execution is claimed with an exclusive create.
 */
export class LocalStore {
  readonly dir: string;
  private logFd: number | undefined;

  constructor(projectDir: string, readonly stage: string) {
    this.dir = join(projectDir, STATE_DIR, 'local', stage);
  }

  get buildDir(): string {
    return join(this.dir, 'build');
  }

  get logFile(): string {
    return join(this.dir, 'log.jsonl');
  }

  readDeployment(): LocalDeployment | undefined {
    return this.readJson<LocalDeployment>(join(this.dir, 'deployment.json'));
  }

  writeDeployment(deployment: LocalDeployment, bundles: ReadonlyArray<{ name: string; code: string }>): void {
    mkdirSync(this.buildDir, { recursive: true });
    for (const bundle of bundles) this.writeAtomic(join(this.buildDir, `${bundle.name}.cjs`), bundle.code);
    this.writeAtomic(join(this.dir, 'deployment.json'), `${JSON.stringify(deployment, null, 2)}\n`);
  }

  readBundle(file: string): string {
    return readFileSync(join(this.buildDir, file), 'utf8');
  }

  /** Removes everything of this stage (local `destroy`). Returns whether anything existed. */
  destroy(): boolean {
    const existed = existsSync(this.dir);
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
    return existed;
  }

  appendLog(entries: LogEntry | readonly LogEntry[]): void {
    const list = Array.isArray(entries) ? entries : [entries as LogEntry];
    if (list.length === 0) return;
    if (this.logFd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.logFd = openSync(this.logFile, 'a');
    }
    writeSync(this.logFd, list.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }

  /** Reads log entries from byte `offset`; returns them and the offset to continue from (for --follow). */
  readLogFrom(offset: number, filter: LogFilter = {}): { entries: LogEntry[]; offset: number } {
    if (!existsSync(this.logFile)) return { entries: [], offset };
    const size = statSync(this.logFile).size;
    if (size <= offset) return { entries: [], offset: size < offset ? 0 : offset };
    const fd = openSync(this.logFile, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      readSync(fd, buffer, 0, buffer.length, offset);
      const text = buffer.toString('utf8');
      // A writer may be mid-line: keep the partial last line for the next read.
      const end = text.lastIndexOf('\n') + 1;
      const entries: LogEntry[] = [];
      for (const line of text.slice(0, end).split('\n')) {
        if (!line) continue;
        const entry = JSON.parse(line) as LogEntry;
        if (matchesFilter(entry, filter)) entries.push(entry);
      }
      return { entries, offset: offset + Buffer.byteLength(text.slice(0, end)) };
    } finally {
      closeSync(fd);
    }
  }

  readLog(filter: LogFilter = {}): LogEntry[] {
    return this.readLogFrom(0, filter).entries;
  }

  /** Claims an execution name; returns the existing record when the name is taken. */
  claimExecution(record: ExecutionRecord): { created: true } | { created: false; existing: ExecutionRecord } {
    const dir = join(this.dir, 'executions');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${record.orderId}.json`);
    try {
      writeFileSync(file, JSON.stringify(record), { flag: 'wx' });
      return { created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return { created: false, existing: this.readExecution(record.orderId)! };
    }
  }

  readExecution(orderId: string): ExecutionRecord | undefined {
    return this.readJson<ExecutionRecord>(join(this.dir, 'executions', `${orderId}.json`));
  }

  updateExecution(record: ExecutionRecord): void {
    this.writeAtomic(join(this.dir, 'executions', `${record.orderId}.json`), JSON.stringify(record));
  }

  writeOutcome(outcome: OrderOutcome): void {
    mkdirSync(join(this.dir, 'outcomes'), { recursive: true });
    this.writeAtomic(join(this.dir, 'outcomes', `${outcome.orderId}.json`), `${JSON.stringify(outcome, null, 2)}\n`);
  }

  readOutcome(orderId: string): OrderOutcome | undefined {
    return this.readJson<OrderOutcome>(join(this.dir, 'outcomes', `${orderId}.json`));
  }

  listOutcomes(): OrderOutcome[] {
    const dir = join(this.dir, 'outcomes');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => this.readJson<OrderOutcome>(join(dir, f)))
      .filter((o): o is OrderOutcome => o !== undefined);
  }

  close(): void {
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
  }

  private readJson<T>(file: string): T | undefined {
    // A reader racing a writer's rename retries once; the file is complete after the rename.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as T;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        if (attempt === 1) throw error;
      }
    }
    return undefined;
  }

  private writeAtomic(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
}
