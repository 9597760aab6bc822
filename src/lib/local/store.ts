import { createHash } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type { Mode } from '../config/schema.js';
import type { LogEntry, LogFilter, LogSource } from '../logs/entry.js';
import { buildOutcome, type OrderOutcome, type OutcomeStatus } from '../order/outcome.js';
import { StateError, stateErrorFrom } from './state-error.js';
import { STATE_DIR } from '../project/state.js';
import { text } from '../json.js';
/** What `appendLog`'s callback says of an entry that went to `bufferLog` instead: no row. */
export const BUFFERED = Symbol('buffered');
/**
 * Bumped when the tables change incompatibly; an older database then asks for `fulfill deploy`.
 * 2: an ended execution's log entries packed into one `log_packed` row, outcomes deflated, fewer indexes.
 */
const SCHEMA_VERSION = 2;
/** An owner whose heartbeat is older than this is gone even if its pid was reused by another process. */
export const HEARTBEAT_STALE_MS = 60_000;
const HEARTBEAT_EVERY_MS = 5_000;
/**
 * A running execution's buffered log entries (see `bufferLog`) are written as rows once the oldest is this old,
 * so another process's `logs --follow` or `trace` sees a running execution at most about this late; most
 * executions end sooner and are written once, packed, with their outcome.
 */
export const BUFFERED_LOG_MAX_AGE_MS = 500;
/** ... or once this many are buffered (a long-running loop keeps flat memory). */
const BUFFERED_LOG_MAX_ENTRIES = 256;

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
  /** The source files it was made from, with their hashes (see blueprint/sources.ts: "sources changed"). */
  sources?: Record<string, string>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** One submission of an order: `execution` counts an order's submissions (1, 2, ...); `id` is unique per stage. */
export interface ExecutionRecord {
  id: number;
  orderId: string;
  execution: number;
  mode: Mode;
  /** The order JSON as submitted: StartExecution is idempotent only for the same name *and* input. */
  input: string;
  status: ExecutionStatus;
  /** Process that runs the execution; lets other processes tell a live execution from an interrupted one. */
  pid: number;
  startDate: string;
  stopDate: string | null;
}

/** A queued event delivery (events mode): `rule` null means "not routed yet". */
export interface QueuedDelivery {
  id: number;
  executionId: number;
  orderId: string;
  rule: string | null;
  event: Record<string, unknown>;
}

/** A queued delivery: its row id once the row is written (see `LocalStore.enqueueDeliveries`). */
export interface DeliveryHandle {
  id?: number;
}

export interface DeadLetter {
  timestamp: string;
  orderId: string;
  execution: number | null;
  rule: string;
  target: string;
  attempts: number;
  error: string;
  cause: string;
  event: Record<string, unknown>;
}

/** A dead letter as `fulfill redrive` reads it: its row, and the execution it was dead-lettered in. */
export interface RedrivableLetter extends DeadLetter {
  id: number;
  executionStatus: string | null;
  /** The order as that execution was submitted (null for a letter without an execution). */
  input: string | null;
}

/** One order's latest submission, for `trace --slowest/--sla`: finished or not. */
export interface OrderSummary {
  orderId: string;
  execution: number;
  mode: Mode;
  status: OutcomeStatus;
  startedAt: string;
  durationMs: number | null;
}

// The schema, documented in the README ("The local state"): open it with `sqlite3 .fulfill/local/<stage>/state.db`.
// Sized for ~2 KB per order: a running execution's entries are rows of `log`; when it ends they move into one
// deflated `log_packed` row (an order's entries repeat its state in every step, which deflate folds away), the
// outcome is deflated too, and indexes exist only for the reads that need them (by order, by execution, the
// running executions, `logs --follow` by row number). `seq` is AUTOINCREMENT: packing deletes the newest rows,
// and a reused row number would hide entries from a follower.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployment (id INTEGER PRIMARY KEY CHECK (id = 1), spec TEXT NOT NULL, deployed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
  id INTEGER PRIMARY KEY, order_id TEXT NOT NULL, execution INTEGER NOT NULL, mode TEXT NOT NULL,
  status TEXT NOT NULL, owner_pid INTEGER NOT NULL, heartbeat INTEGER NOT NULL,
  started_at INTEGER NOT NULL, stopped_at INTEGER, UNIQUE (order_id, execution));
CREATE INDEX IF NOT EXISTS executions_running ON executions (owner_pid) WHERE status = 'RUNNING';
CREATE INDEX IF NOT EXISTS executions_started ON executions (started_at);
CREATE TABLE IF NOT EXISTS inputs (execution_id INTEGER PRIMARY KEY, input TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, execution_id INTEGER, ts INTEGER NOT NULL,
  source TEXT NOT NULL, type TEXT NOT NULL, event_id INTEGER NOT NULL, name TEXT, details TEXT);
CREATE INDEX IF NOT EXISTS log_execution ON log (execution_id, seq);
CREATE INDEX IF NOT EXISTS log_unbound ON log (order_id, seq) WHERE execution_id IS NULL;
CREATE TABLE IF NOT EXISTS log_packed (
  execution_id INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, entries BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS log_packed_last ON log_packed (last_seq);
CREATE TABLE IF NOT EXISTS outcomes (
  execution_id INTEGER PRIMARY KEY, order_id TEXT NOT NULL, status TEXT NOT NULL,
  started_at INTEGER NOT NULL, duration_ms INTEGER, outcome BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY, execution_id INTEGER NOT NULL, order_id TEXT NOT NULL, rule TEXT, event TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_execution ON deliveries (execution_id);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY, execution_id INTEGER, order_id TEXT NOT NULL, ts INTEGER NOT NULL, rule TEXT NOT NULL,
  target TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT NOT NULL, cause TEXT NOT NULL, event TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dead_letters_order ON dead_letters (order_id);
`;

/**
 * Deflate's preset dictionary for packed entries: the words every order's log repeats, so even the first
 * occurrence in a pack is a back-reference. Part of the schema: changing it needs a new SCHEMA_VERSION.
 */
const PACK_DICTIONARY = Buffer.from(
  [
    '[0,0,"api","ApiRequestReceived",1,"POST /orders",{"requestId":"","integration":"StartExecution"}]',
    '{"requestId":"","integration":"PutEvents"}',
    '"execution","ExecutionStarted",{"executionArn":"arn:aws:states:","input":"{\\"orderId\\":\\""}',
    '"execution","TaskStateEntered","execution","TaskStateExited","execution","ChoiceStateEntered",',
    '"execution","ChoiceStateExited","execution","ExecutionSucceeded","execution","ExecutionFailed",',
    '"execution","LambdaFunctionScheduled",{"resource":"arn:aws:lambda:","input":"{\\"orderId\\":\\""}',
    '"execution","LambdaFunctionStarted",null],"execution","LambdaFunctionSucceeded",{"output":"',
    '"execution","LambdaFunctionFailed",{"error":"","cause":"","durationMs":',
    '{"input":"{\\"orderId\\":\\"","{"output":"{\\"orderId\\":\\"',
    '\\"customerId\\":\\"\\",\\"paymentInstrumentType\\":\\"creditCard\\",\\"sellerId\\":\\"',
    '\\"currency\\":\\"EUR\\",\\"items\\":[{\\"sku\\":\\"\\",\\"quantity\\":',
    '\\"unitPrice\\":\\"shipTo\\":{\\"country\\":\\"\\",\\"postalCode\\":\\"',
    '"events","EventPublished",{"eventId":"","source":"fulfill.","detail":{"orderId":"',
    '"customerId":"","paymentInstrumentType":"creditCard","sellerId":"","currency":"EUR","items":[{"sku":"',
    '"quantity":1,"unitPrice":"shipTo":{"country":"DE","postalCode":"',
    '"events","RulesMatched",{"eventId":"","rules":["',
    '"events","DeliverySucceeded",{"eventId":"","rule":"","target":"","attempt":1,"durationMs":',
    '"result":{"published":"","eventId":"',
    '"events","DeliveryFailed","events","DeadLettered","events","OutcomeRecorded",{"status":"SUCCEEDED"}]',
    '"function","FunctionLog",{"requestId":"","level":"log","message":"',
  ].join(''),
);

/** The same for outcome documents (their keys, in buildOutcome's order): ~290 bytes deflated become ~90. */
const OUTCOME_DICTIONARY = Buffer.from(
  [
    '{"orderId":"","mode":"events","mode":"orchestration","status":"FAILED","status":"SUCCEEDED",',
    '"payment":{"instrument":"creditCard","authorized":true,"authorizationId":"auth-","amount":',
    '"seller":{"sellerId":"shop","type":"1P"},"warehouse":"","fulfilledBy":"shop","fee":null,',
    '"invoices":[{"invoiceId":"","type":"customer","issuer":"shop","recipient":"","amount":,"currency":"EUR"}],',
    '"error":null,"startedAt":"20","finishedAt":"20","durationMs":',
  ].join(''),
);

/**
 * Deflate's level for packed entries and outcomes: level 2 takes a third of the default's (6) time on an order's
 * ~13 KB of entries and stores ~975 bytes instead of ~825; packing runs on the main thread once per order.
 */
const DEFLATE_LEVEL = 2;

/**
 * A pack as a deflate stream that can be continued: its text so far (`[e1,...,en`, without the closing bracket)
 * deflated and sync-flushed (byte-aligned, no final block), and the last 32 KB of dictionary and text, deflate's
 * window. The row stores it closed by a final stored block holding `]` (RFC 1951 3.2.4). An events execution is
 * packed with its outcome and again when it is released, with the entries recorded after its outcome (the
 * rules its terminal event matched, the delivery that published it, fan-out branches): the second pack used to
 * read the first back, inflate and parse it, and deflate all of it again, more than the first pack cost. It
 * continues the stream instead: the new entries deflated on their own with the window as their dictionary, so
 * their back-references, as distances, reach the same bytes in the reader's window; the reader inflates the
 * row in one pass with PACK_DICTIONARY, as before.
 */
interface PackStream {
  head: Buffer;
  window: Buffer;
}

interface OpenPack extends PackStream {
  firstSeq: number;
  firstTs: number;
  lastSeq: number;
  lastTs: number;
}

/** Deflate's window (windowBits 15): a dictionary longer than this is used by its last 32 KB only. */
const DEFLATE_WINDOW_BYTES = 32 * 1024;
/** A final stored block of one byte, `]`: header (BFINAL 1, BTYPE 00), LEN 1, NLEN ~1, the byte. */
const CLOSE_PACK = Buffer.from([0x01, 0x01, 0x00, 0xfe, 0xff, 0x5d]);
/** Open packs kept at most (recovery packs other processes' executions, which are never released here). */
const MAX_OPEN_PACKS = 1_000;

/** The stream of a pack not started yet. */
const NEW_PACK: PackStream = { head: Buffer.alloc(0), window: PACK_DICTIONARY };

function continuePack(stream: PackStream, text: string): PackStream {
  const bytes = Buffer.from(text);
  const part = deflateRawSync(bytes, {
    dictionary: stream.window,
    level: DEFLATE_LEVEL,
    finishFlush: zlibConstants.Z_SYNC_FLUSH,
  });
  const window = Buffer.concat([stream.window, bytes]);
  return {
    head: Buffer.concat([stream.head, part]),
    window: window.length > DEFLATE_WINDOW_BYTES ? window.subarray(window.length - DEFLATE_WINDOW_BYTES) : window,
  };
}

function closePack(stream: PackStream): Buffer {
  return Buffer.concat([stream.head, CLOSE_PACK]);
}

/** An execution row with its input (kept while it runs). */
const SELECT_EXECUTION = 'SELECT x.*, i.input FROM executions x LEFT JOIN inputs i ON i.execution_id = x.id';

/** The old JSON-file layout (before state.db): its presence alone means "redeploy". */
const LEGACY_FILES = ['deployment.json', 'log.jsonl', 'executions', 'outcomes', 'dead-letter.jsonl'];

type Row = Record<string, unknown>;
type Db = import('libsql').Database;
type Statement = import('libsql').Statement<unknown[]>;

/** Rolls back what SQLite has not rolled back itself; the error that led here is the one to report. */
function rollBackQuietly(db: Db): void {
  if (!db.inTransaction) return;
  try {
    db.exec('ROLLBACK');
  } catch {
    // the original error is the one to report
  }
}

/** The store of this process whose turn's write transaction is open, per database file (see commitOtherTurn). */
const OPEN_TURNS = new Map<string, LocalStore>();

/**
 * The local target's durable store: one SQLite database per stage (`.fulfill/local/<stage>/state.db`, WAL,
 * `synchronous=NORMAL`: a commit survives the process being killed) and the handler bundles as files under
 * `build/` (esbuild writes them and the workers load them). Several processes share it (send-order, serve,
 * logs --follow). Writes are grouped: everything queued in one turn of the event loop is committed in one
 * transaction (`commit()` commits at once, e.g. before the API answers 200). Opening the stage ends the
 * executions whose owner process is gone (see `recoverInterrupted`).
 */
export class LocalStore {
  readonly dir: string;
  private db: Db | undefined;
  private readonly statements = new Map<string, Statement>();
  private ops: Array<() => void> = [];
  /** Callers of `grouped` waiting for the turn's commit. */
  private waiters: Array<{ resolve: () => void; reject: (error: StateError) => void }> = [];
  /** Whether this turn's write transaction is open (`grouped` opened it; the turn's commit ends it). */
  private turnOpen = false;
  private scheduled = false;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Running executions' entries not written yet, by execution id, with when the oldest was buffered. */
  private readonly buffered = new Map<number, { since: number; entries: LogEntry[] }>();
  private bufferTimer: NodeJS.Timeout | undefined;
  /** Executions this store packed and wrote no row for since (`packLater` has nothing to do for them). */
  private readonly packedHere = new Set<number>();
  /**
   * Executions this store claimed and has written no row of `log` for (all their entries are buffered): packing
   * them need not look for rows. Only this store writes rows for an execution it runs (another process does only
   * once this one is gone: recovery); a forgotten id merely costs that look.
   */
  private readonly withoutRows = new Set<number>();
  /** Deliveries queued in this turn and not written yet, and written ones finished since (see enqueueDeliveries). */
  private deliveryInserts: Array<{ handle: DeliveryHandle; values: [number, string, string | null, string] }> = [];
  private deliveryInsertsQueued = false;
  private deliveryDeletes: number[] = [];
  /** The packs this store wrote for executions not released yet, to extend (see PackStream). */
  private readonly openPacks = new Map<number, OpenPack>();
  /** The schema version of a database this fulfill does not read (set when opening one). */
  private olderSchema: number | undefined;
  private currentFault: StateError | undefined;
  private readonly faultListeners = new Set<(fault: StateError) => void>();
  /** Set once a write failed for good: the store refuses further writes and every caller sees this error. */
  get fault(): StateError | undefined {
    return this.currentFault;
  }
  set fault(fault: StateError | undefined) {
    const first = !this.currentFault && fault;
    this.currentFault = fault;
    if (first) for (const listener of [...this.faultListeners]) listener(fault);
  }
  /**
   * Calls `listener` once when the store faults (at once when it already has); returns the unsubscribe. An order
   * waiting on a flow that can no longer be recorded (events mode on a full disk) ends now, not at its timeout.
   */
  onceFaulted(listener: (fault: StateError) => void): () => void {
    if (this.currentFault) {
      listener(this.currentFault);
      return () => {};
    }
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }
  /**
   * Called once when a background commit fails. The default does nothing more: the next write, wait or
   * `close()` throws the fault, and the command prints it as its one error line (`serve` also logs it at once).
   */
  onFault: (error: StateError) => void = () => {};

  constructor(
    projectDir: string,
    readonly stage: string,
    /** Another folder than `.fulfill/local/<stage>` for the same stage (`iam check`'s throwaway run). */
    dir?: string,
  ) {
    this.dir = dir ?? join(projectDir, STATE_DIR, 'local', stage);
  }

  get buildDir(): string {
    return join(this.dir, 'build');
  }

  get dbFile(): string {
    return join(this.dir, 'state.db');
  }

  /** Relative to the working folder when inside it: the file a user can look at. */
  private get shownDb(): string {
    return shown(this.dbFile);
  }

  /** Whether the stage has any state (a database, or the old JSON files). */
  exists(): boolean {
    return existsSync(this.dbFile) || LEGACY_FILES.some((f) => existsSync(join(this.dir, f)));
  }

  /**
   * Opens (and creates) the database. `repair` is `deploy`'s mode: an unreadable database is moved aside to
   * `state.db.corrupt-<time>` and the old JSON files are removed, so a fresh stage can be recorded.
   */
  open(options: { create?: boolean; repair?: boolean } = {}): Db {
    if (this.db) return this.db;
    if (!existsSync(this.dbFile)) {
      const legacy = LEGACY_FILES.filter((f) => existsSync(join(this.dir, f)));
      if (legacy.length > 0 && options.repair) {
        for (const f of legacy) rmSync(join(this.dir, f), { recursive: true, force: true });
      } else if (legacy.length > 0) {
        throw new StateError(
          `${shown(join(this.dir, legacy[0]))}: stage "${this.stage}" was recorded by an older fulfill (JSON files), which this version does not read`,
          [`Run \`fulfill deploy --stage ${this.stage}\` to record it again (its old logs are dropped).`],
        );
      } else if (!options.create && !options.repair) {
        throw new StateError(
          `stage "${this.stage}" has no local state (${this.shownDb})`,
          ['Run `fulfill deploy` first.'],
          2,
        );
      }
    }
    try {
      this.db = this.connect();
    } catch (error) {
      if (!options.repair) throw error;
      // Kept aside, never deleted: a damaged file as `.corrupt-<time>`, an older schema as `.schema-<N>-<time>`.
      const aside = `${this.dbFile}.${this.olderSchema === undefined ? 'corrupt' : `schema-${this.olderSchema}`}-${Date.now()}`;
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(this.dbFile + suffix)) renameSync(this.dbFile + suffix, `${aside}${suffix}`);
      }
      this.db = this.connect();
    }
    try {
      this.recoverInterrupted();
    } catch {
      // A full disk or a read-only folder: reading still works; the next write reports the fault in one line.
    }
    return this.db;
  }

  private connect(): Db {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (error) {
      throw stateErrorFrom(error, this.dir);
    }
    // Loaded here, not at import: --help and --version never pay for the native module.
    const Database = createRequire(import.meta.url)('libsql') as typeof import('libsql');
    let db: Db | undefined;
    try {
      db = new Database(this.dbFile, { timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 10000');
      const version = this.versionOf(db);
      if (version !== undefined && version !== SCHEMA_VERSION) {
        this.olderSchema = version;
        db.close();
        throw new StateError(`${this.shownDb} has state schema ${version}; this fulfill uses ${SCHEMA_VERSION}`, [
          `Run \`fulfill deploy --stage ${this.stage}\` to record the stage again.`,
        ]);
      }
      db.exec(SCHEMA);
      db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
      db.prepare('SELECT count(*) FROM log').get(); // reads a page: a damaged file fails here, not later
      return db;
    } catch (error) {
      try {
        db?.close();
      } catch {
        // closing a database that failed to open: nothing more to report
      }
      throw error instanceof StateError ? error : stateErrorFrom(error, this.dbFile, this.stage);
    }
  }

  private versionOf(db: Db): number | undefined {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!table) return undefined;
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as Row | undefined;
    return row ? Number(row.value) : undefined;
  }

  private stmt(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.guard(() => this.open().prepare(sql) as Statement);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs a database call; SQLite's errors become one-line StateErrors naming the file and the fix. */
  /**
   * Decodes a stored value (JSON, deflated JSON) of a row: a damaged one is a StateError naming the database,
   * like a damaged deployment record, not a SyntaxError from deep inside `logs` or `trace`.
   */
  private decode<T>(what: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new StateError(`${this.shownDb}: ${what} of stage "${this.stage}" is damaged (${reason})`, [
        `Start the stage afresh: fulfill destroy --stage ${this.stage} --yes && fulfill deploy --stage ${this.stage}`,
      ]);
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw error instanceof StateError ? error : stateErrorFrom(error, this.dbFile, this.stage);
    }
  }

  /**
   * One transaction. Hand-written rather than libsql's `transaction()`: after SQLITE_FULL SQLite has already
   * rolled back, and libsql's ROLLBACK then fails with "no transaction is active", hiding the real error.
   */
  private tx<T>(fn: () => T): T {
    const db = this.open({ create: true });
    try {
      return this.inTransaction(db, fn);
    } catch (error) {
      // A full disk, a read-only or damaged file: no later write can succeed either (a lock may clear).
      if (error instanceof StateError && !/locked/.test(error.message)) this.fault = error;
      throw error;
    }
  }

  private inTransaction<T>(db: Db, fn: () => T): T {
    return this.guard(() => {
      if (db.inTransaction) return fn();
      this.commitOtherTurn();
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = fn();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        rollBackQuietly(db);
        throw error;
      }
    });
  }

  // ---- deployment ----

  readDeployment(options: { repair?: boolean } = {}): LocalDeployment | undefined {
    if (!this.exists() && !options.repair) return undefined;
    if (options.repair && !existsSync(this.dbFile)) return undefined;
    this.open(options);
    const row = this.guard(() => this.stmt('SELECT spec FROM deployment WHERE id = 1').get() as Row | undefined);
    if (!row) return undefined;
    try {
      const spec = JSON.parse(String(row.spec)) as LocalDeployment;
      if (!spec || typeof spec !== 'object' || !Array.isArray(spec.functions) || typeof spec.mode !== 'string')
        throw new Error('not a deployment');
      return spec;
    } catch {
      if (options.repair) return undefined;
      throw new StateError(`${this.shownDb}: the recorded deployment of stage "${this.stage}" is damaged`, [
        `Run \`fulfill deploy --stage ${this.stage}\` to record it again.`,
      ]);
    }
  }

  /**
   * The recorded deployment's `deployed_at` (a new deployment always has a later one): one primary-key read, cheap
   * enough for `serve` to check before each request whether another process redeployed.
   */
  deployedAt(): string | undefined {
    const row = this.guard(() => this.stmt('SELECT deployed_at FROM deployment WHERE id = 1').get() as Row | undefined);
    return row ? String(row.deployed_at) : undefined;
  }

  writeDeployment(deployment: LocalDeployment, bundles: ReadonlyArray<{ name: string; code: string }>): void {
    this.open({ repair: true });
    try {
      mkdirSync(this.buildDir, { recursive: true });
      for (const bundle of bundles) {
        const file = join(this.buildDir, `${bundle.name}.cjs`);
        writeFileSync(`${file}.${process.pid}.tmp`, bundle.code);
        renameSync(`${file}.${process.pid}.tmp`, file);
      }
    } catch (error) {
      throw stateErrorFrom(error, this.buildDir, this.stage);
    }
    this.guard(() =>
      this.stmt('INSERT OR REPLACE INTO deployment (id, spec, deployed_at) VALUES (1, ?, ?)').run(
        JSON.stringify(deployment),
        deployment.deployedAt,
      ),
    );
  }

  readBundle(file: string): string {
    const path = join(this.buildDir, file);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new StateError(`${shown(path)}: the handler bundle is ${missing ? 'missing' : 'unreadable'}`, [
        `Run \`fulfill deploy --stage ${this.stage}\` to rebuild it.`,
      ]);
    }
  }

  /** Whether a function's bundle on disk is the one recorded (deploy rewrites it otherwise). */
  bundleIntact(fn: { file: string; sha256: string }): boolean {
    try {
      return (
        createHash('sha256')
          .update(readFileSync(join(this.buildDir, fn.file), 'utf8'))
          .digest('hex') === fn.sha256
      );
    } catch {
      return false;
    }
  }

  /** Removes everything of this stage (local `destroy`). Returns whether anything existed. */
  destroy(): boolean {
    const existed = existsSync(this.dir);
    this.close();
    rmSync(this.dir, { recursive: true, force: true });
    return existed;
  }

  // ---- meta ----

  /** A small value kept with the stage (`iam check`'s last result); undefined when the stage has no state. */
  readMeta(key: string): string | undefined {
    if (!this.exists()) return undefined;
    this.open();
    const row = this.guard(() => this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined);
    return row ? String(row.value) : undefined;
  }

  /** Writes a meta value at once (creating the stage's database if needed). */
  writeMeta(key: string, value: string): void {
    this.open({ create: true });
    this.guard(() => this.stmt('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value));
  }

  // ---- grouped writes ----

  /** Queues a write for the commit at the end of this event-loop turn. */
  defer(op: () => void): void {
    if (this.fault) throw this.fault;
    this.ops.push(op);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.commitInBackground());
    }
  }

  /**
   * Runs `fn` (an accept: the claim of an execution, the queued event) inside this turn's write transaction,
   * and resolves with its result once that transaction is committed. The accepts of one turn share one commit
   * (a group commit) and each caller still answers only after its writes are durable.
   */
  async grouped<T>(fn: () => T): Promise<T> {
    if (this.fault) throw this.fault;
    const db = this.open({ create: true });
    if (!this.turnOpen && !db.inTransaction) {
      this.commitOtherTurn();
      this.guard(() => db.exec('BEGIN IMMEDIATE'));
      this.turnOpen = true;
      OPEN_TURNS.set(this.dbFile, this);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.commitInBackground());
    }
    const result = fn();
    await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    return result;
  }

  /**
   * Another store of this process holding its turn's write transaction on the same database (`serve` runs the
   * previous deployment's backend beside the new one while its orders finish) would make this connection wait
   * for a lock only this thread can release: SQLite's busy timeout blocks the thread, so it never is. Committing
   * that turn first is what it would do at the end of the turn anyway, and its accepts answer a little earlier.
   */
  private commitOtherTurn(): void {
    const holder = OPEN_TURNS.get(this.dbFile);
    if (!holder || holder === this) return;
    try {
      holder.commit();
    } catch {
      // The holder's own failure: it keeps it as its fault and its waiters get it (see commit).
    } finally {
      if (OPEN_TURNS.get(this.dbFile) === holder) OPEN_TURNS.delete(this.dbFile);
    }
  }

  /** Commits every queued write now, in one transaction. Throws a StateError (disk full, unwritable, ...). */
  commit(): void {
    this.scheduled = false;
    const waiters = this.waiters;
    this.waiters = [];
    try {
      if (this.fault) throw this.fault;
      const ops = this.ops;
      this.ops = [];
      if (this.turnOpen) this.commitTurn(ops);
      else if (ops.length > 0)
        this.tx(() => {
          for (const op of ops) op();
        });
    } catch (error) {
      this.fault = error as StateError;
      for (const waiter of waiters) waiter.reject(error as StateError);
      throw error;
    }
    for (const waiter of waiters) waiter.resolve();
  }

  /** Ends the turn's transaction (opened by `grouped`) with the queued writes; rolls all of it back on an error. */
  private commitTurn(ops: ReadonlyArray<() => void>): void {
    const db = this.db!;
    this.turnOpen = false;
    if (OPEN_TURNS.get(this.dbFile) === this) OPEN_TURNS.delete(this.dbFile);
    try {
      this.guard(() => {
        for (const op of ops) op();
        db.exec('COMMIT');
      });
    } catch (error) {
      rollBackQuietly(db);
      throw error;
    }
  }

  /** The turn-end commit: it runs from setImmediate, so it must never throw (a raw stack trace) there. */
  private commitInBackground(): void {
    if (!this.scheduled) return;
    try {
      this.commit();
    } catch (error) {
      const fault = error instanceof StateError ? error : stateErrorFrom(error, this.dbFile, this.stage);
      this.fault = fault;
      process.exitCode = fault.exit;
      this.onFault(fault);
    }
  }

  // ---- log ----

  /**
   * Queues entries as rows of `log`, each with the execution `executionId` names when the write runs (undefined:
   * none; BUFFERED: none, the entry was handed to `bufferLog` since, e.g. the request bound to its new execution).
   */
  appendLog(
    entries: LogEntry | readonly LogEntry[],
    executionId?: (entry: LogEntry) => number | typeof BUFFERED | undefined,
  ): void {
    const list = isList(entries) ? entries : [entries];
    if (list.length === 0) return;
    this.defer(() => {
      const insert = this.stmt(INSERT_LOG_ROW);
      for (const e of list) {
        const id = executionId?.(e);
        if (id === BUFFERED) continue;
        if (id !== undefined) this.wroteRowsOf(id);
        insert.run(...logRow(e, id ?? null));
      }
    });
  }

  /** An execution now has rows in `log` (written by this store). */
  private wroteRowsOf(executionId: number): void {
    this.packedHere.delete(executionId);
    this.withoutRows.delete(executionId);
  }

  /**
   * Keeps a running execution's entry in memory (this process runs it): the execution's entries are written once,
   * packed, with its outcome (see `packLog`), instead of a row each that packing reads and deletes again.
   * Entries still buffered after BUFFERED_LOG_MAX_AGE_MS (an execution waiting on a retry, a slow handler) are
   * written as rows of `log`, so other processes follow a running execution; reads of this store write them
   * first. A crash loses at most that window of a running execution's entries: recovery then ends it ABORTED.
   */
  bufferLog(executionId: number, entry: LogEntry): void {
    if (this.fault) throw this.fault;
    let buffer = this.buffered.get(executionId);
    if (!buffer) {
      buffer = { since: Date.now(), entries: [] };
      this.buffered.set(executionId, buffer);
    }
    buffer.entries.push(entry);
    // Once at the threshold: the queued write takes what is buffered when it runs, and a new buffer starts.
    if (buffer.entries.length === BUFFERED_LOG_MAX_ENTRIES) {
      this.defer(() => this.writeBuffered([executionId]));
    } else if (!this.bufferTimer) {
      this.bufferTimer = setTimeout(() => this.writeAgedBuffers(), BUFFERED_LOG_MAX_AGE_MS / 2);
      this.bufferTimer.unref();
    }
  }

  /** The timer's part: queues the write of the buffers that are old enough, and looks again while any are left. */
  private writeAgedBuffers(): void {
    this.bufferTimer = undefined;
    if (this.buffered.size === 0 || this.fault) return;
    const oldest = Date.now() - BUFFERED_LOG_MAX_AGE_MS;
    const aged = [...this.buffered].filter(([, buffer]) => buffer.since <= oldest).map(([id]) => id);
    if (aged.length > 0) this.defer(() => this.writeBuffered(aged));
    this.bufferTimer = setTimeout(() => this.writeAgedBuffers(), BUFFERED_LOG_MAX_AGE_MS / 2);
    this.bufferTimer.unref();
  }

  /** Writes buffered entries as rows of `log` (inside the caller's transaction): every execution's, or these. */
  private writeBuffered(executionIds: Iterable<number> = [...this.buffered.keys()]): void {
    const insert = this.stmt(INSERT_LOG_ROW);
    for (const executionId of executionIds) {
      const buffer = this.buffered.get(executionId);
      if (!buffer) continue; // packed meanwhile
      this.buffered.delete(executionId);
      this.wroteRowsOf(executionId);
      for (const e of buffer.entries) {
        insert.run(...logRow(e, executionId));
      }
    }
  }

  /**
   * Commits the buffered entries (every execution's, or one order's) and what is queued before them now: a read
   * of this store sees all it recorded.
   */
  private flushBuffered(orderId?: string): void {
    if (this.buffered.size === 0 || this.fault) return;
    const ids = [...this.buffered]
      .filter(([, buffer]) => orderId === undefined || buffer.entries[0]?.orderId === orderId)
      .map(([id]) => id);
    if (ids.length === 0) return;
    this.defer(() => this.writeBuffered(ids));
    this.commit();
  }

  /** Log entries after `offset` (a row number; 0 = from the start), and the offset to continue from. */
  readLogFrom(offset: number, filter: LogFilter = {}): { entries: LogEntry[]; offset: number } {
    if (!this.exists()) return { entries: [], offset };
    const db = this.open();
    this.flushBuffered(filter.orderId);
    // Rows of `log` and packed executions, read in one snapshot: an execution packed in between is seen once.
    const { rows, packs } = this.guard(() =>
      db.inTransaction ? this.readLogRows(offset, filter) : this.inReadTransaction(db, offset, filter),
    );
    const entries: Array<{ seq: number; entry: LogEntry }> = rows.map((row) => ({
      seq: Number(row[0]),
      entry: this.decode('a log row', () => rowToEntry(row)),
    }));
    for (const [, orderId, execution, firstSeq, firstTs, blob] of packs) {
      const packed = this.decode(
        'a packed log row',
        () =>
          JSON.parse(
            inflateRawSync(blob as Uint8Array, { dictionary: PACK_DICTIONARY }).toString('utf8'),
          ) as PackedEntry[],
      );
      let seq = Number(firstSeq);
      let ts = Number(firstTs);
      for (const [seqStep, tsStep, source, type, id, name, details] of packed) {
        seq += seqStep;
        ts += tsStep;
        if (seq <= offset) continue;
        if (filter.since !== undefined && ts < filter.since) continue;
        if (filter.sources && !filter.sources.includes(source)) continue;
        entries.push({ seq, entry: entryOf(String(orderId), Number(execution), ts, source, type, id, name, details) });
      }
    }
    entries.sort((a, b) => a.seq - b.seq);
    const last = entries.at(-1)?.seq;
    return { entries: entries.map((e) => e.entry), offset: last === undefined ? offset : last };
  }

  private inReadTransaction(db: Db, offset: number, filter: LogFilter): { rows: unknown[][]; packs: unknown[][] } {
    db.exec('BEGIN');
    try {
      return this.readLogRows(offset, filter);
    } finally {
      db.exec('COMMIT');
    }
  }

  /** The matching rows of `log`, and the packed executions that may hold matching entries (filtered later). */
  private readLogRows(offset: number, filter: LogFilter): { rows: unknown[][]; packs: unknown[][] } {
    const where = ['l.seq > ?'];
    const params: unknown[] = [offset];
    const packWhere = ['p.last_seq > ?'];
    const packParams: unknown[] = [offset];
    if (filter.orderId) {
      // By order: its executions (an index), then their entries (an index), plus entries without an execution.
      where.push(
        '(l.execution_id IN (SELECT id FROM executions WHERE order_id = ?) OR (l.execution_id IS NULL AND l.order_id = ?))',
      );
      params.push(filter.orderId, filter.orderId);
      packWhere.push('x.order_id = ?');
      packParams.push(filter.orderId);
    }
    if (filter.execution !== undefined) {
      where.push('x.execution = ?');
      params.push(filter.execution);
      packWhere.push('x.execution = ?');
      packParams.push(filter.execution);
    }
    if (filter.since !== undefined) {
      where.push('l.ts >= ?');
      params.push(filter.since);
      packWhere.push('p.last_ts >= ?');
      packParams.push(filter.since);
    }
    if (filter.sources) {
      where.push(`l.source IN (${filter.sources.map(() => '?').join(', ')})`);
      params.push(...filter.sources);
    }
    const sql = `SELECT l.seq, l.order_id, x.execution, l.ts, l.source, l.type, l.event_id, l.name, l.details
      FROM log l LEFT JOIN executions x ON x.id = l.execution_id WHERE ${where.join(' AND ')} ORDER BY l.seq`;
    const packSql = `SELECT p.execution_id, x.order_id, x.execution, p.first_seq, p.first_ts, p.entries
      FROM log_packed p JOIN executions x ON x.id = p.execution_id WHERE ${packWhere.join(' AND ')}`;
    return {
      rows: this.stmt(sql)
        .raw(true)
        .all(...params) as unknown[][],
      packs: this.stmt(packSql)
        .raw(true)
        .all(...packParams) as unknown[][],
    };
  }

  readLog(filter: LogFilter = {}): LogEntry[] {
    return this.readLogFrom(0, filter).entries;
  }

  /** The highest log row number so far (where `logs --follow` starts when it prints nothing first). */
  lastLogOffset(): number {
    if (!this.exists()) return 0;
    this.flushBuffered();
    // AUTOINCREMENT's record of the highest row number ever handed out (packed rows included).
    const row = this.guard(
      () => this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'log'").get() as Row | undefined,
    );
    return Number(row?.seq ?? 0);
  }

  /** The next id on an execution's stream, for an entry another process writes (recovery). */
  private nextEventId(executionId: number, source: LogSource): number {
    const row = this.stmt('SELECT max(event_id) AS id FROM log WHERE execution_id = ? AND source = ?').get(
      executionId,
      source,
    ) as Row;
    return Number(row.id ?? 0) + 1;
  }

  // ---- executions ----

  /**
   * Starts a new execution (submission) of an order, owned by this process, unless `accept` says no given the
   * order's latest execution. Runs in one transaction with whatever `also` writes (e.g. the first log entry).
   */
  claimExecution(
    orderId: string,
    mode: Mode,
    input: string | null,
    accept: (latest: ExecutionRecord | undefined) => boolean,
    onClaim?: (record: ExecutionRecord) => void,
  ): { created: true; record: ExecutionRecord } | { created: false; existing: ExecutionRecord } {
    return this.tx(() => {
      let latest = this.latestExecution(orderId);
      if (
        latest?.status === 'RUNNING' &&
        latest.pid !== process.pid &&
        !ownerAlive(latest.pid, this.heartbeatOf(latest.id))
      ) {
        this.interrupt(latest, `interrupted: process ${latest.pid} exited`);
        latest = this.latestExecution(orderId);
      }
      if (!accept(latest)) return { created: false as const, existing: latest! };
      const now = Date.now();
      const execution = (latest?.execution ?? 0) + 1;
      const info = this.stmt(
        'INSERT INTO executions (order_id, execution, mode, status, owner_pid, heartbeat, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(orderId, execution, mode, 'RUNNING', process.pid, now, now);
      if (input !== null)
        this.stmt('INSERT INTO inputs (execution_id, input) VALUES (?, ?)').run(info.lastInsertRowid, input);
      this.startHeartbeat();
      if (this.withoutRows.size >= 10_000) this.withoutRows.clear();
      this.withoutRows.add(Number(info.lastInsertRowid));
      const record: ExecutionRecord = {
        id: Number(info.lastInsertRowid),
        orderId,
        execution,
        mode,
        input: input ?? '',
        status: 'RUNNING',
        pid: process.pid,
        startDate: new Date(now).toISOString(),
        stopDate: null,
      };
      onClaim?.(record);
      // The writes queued so far (the request's log entry, what onClaim queued) commit with the claim.
      const ops = this.ops;
      this.ops = [];
      for (const op of ops) op();
      return { created: true as const, record };
    });
  }

  latestExecution(orderId: string): ExecutionRecord | undefined {
    if (!this.exists()) return undefined;
    const row = this.guard(
      () =>
        this.stmt(`${SELECT_EXECUTION} WHERE x.order_id = ? ORDER BY x.execution DESC LIMIT 1`).get(orderId) as
          Row | undefined,
    );
    return row ? rowToExecution(row) : undefined;
  }

  /** Every execution (submission) of an order, oldest first. */
  listExecutions(orderId: string): ExecutionRecord[] {
    if (!this.exists()) return [];
    return this.guard(() =>
      (this.stmt(`${SELECT_EXECUTION} WHERE x.order_id = ? ORDER BY x.execution`).all(orderId) as Row[]).map(
        rowToExecution,
      ),
    );
  }

  /** Ends an execution (queued with the turn's commit); `false` when another process already ended it. */
  finishExecution(executionId: number, status: ExecutionStatus, outcome: OrderOutcome): void {
    this.defer(() => this.writeOutcomeNow(executionId, status, outcome));
  }

  private writeOutcomeNow(executionId: number, status: ExecutionStatus, outcome: OrderOutcome): boolean {
    const inserted = this.stmt(
      'INSERT OR IGNORE INTO outcomes (execution_id, order_id, status, started_at, duration_ms, outcome) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      executionId,
      outcome.orderId,
      outcome.status,
      Date.parse(outcome.startedAt),
      outcome.durationMs,
      deflateRawSync(JSON.stringify(outcome), { dictionary: OUTCOME_DICTIONARY, level: DEFLATE_LEVEL }),
    );
    if (inserted.changes === 0) return false;
    this.stmt("UPDATE executions SET status = ?, stopped_at = ? WHERE id = ? AND status = 'RUNNING'").run(
      status,
      Date.now(),
      executionId,
    );
    // The input is needed while the execution runs (StartExecution's idempotency, recovery's outcome), and after
    // it only for `redrive`, which starts the order again from its dead letters.
    this.stmt(
      'DELETE FROM inputs WHERE execution_id = ? AND NOT EXISTS (SELECT 1 FROM dead_letters WHERE execution_id = ?)',
    ).run(executionId, executionId);
    // Only the bus queues deliveries.
    if (outcome.mode === 'events') this.stmt('DELETE FROM deliveries WHERE execution_id = ?').run(executionId);
    // Its outcome was written just now: nothing of it can have been packed yet.
    this.packLog(executionId, { first: true });
    return true;
  }

  /**
   * Moves an ended execution's entries from `log` into one deflated `log_packed` row (inside the caller's
   * transaction, so readers see them in one place or the other). Entries recorded after it ended (events mode:
   * the fan-out branches still running) are added to that row when the execution is released (`packLater`);
   * until then they are rows of `log`, and readers merge both by `seq`.
   */
  private packLog(executionId: number, options: { first?: boolean } = {}): void {
    // Read and removed in one statement (RETURNING's order is unspecified: sorted here).
    const rows = this.withoutRows.delete(executionId)
      ? []
      : (
          this.stmt('DELETE FROM log WHERE execution_id = ? RETURNING seq, ts, source, type, event_id, name, details')
            .raw(true)
            .all(executionId) as unknown[][]
        ).sort((a, b) => Number(a[0]) - Number(b[0]));
    const buffered = this.buffered.get(executionId)?.entries ?? [];
    this.buffered.delete(executionId);
    if (rows.length === 0 && buffered.length === 0) return;
    const entries: Array<[number, number, string]> = [];
    // A pack this store wrote (an events execution's at its outcome, extended when it is released): extended
    // without reading it back (see PackStream).
    const open = options.first ? undefined : this.openPacks.get(executionId);
    const existing =
      options.first || open
        ? undefined
        : (this.stmt('SELECT first_seq, first_ts, entries FROM log_packed WHERE execution_id = ?')
            .raw(true)
            .get(executionId) as unknown[] | undefined);
    if (existing) {
      let seq = Number(existing[0]);
      let ts = Number(existing[1]);
      for (const [seqStep, tsStep, ...rest] of JSON.parse(
        inflateRawSync(existing[2] as Uint8Array, { dictionary: PACK_DICTIONARY }).toString('utf8'),
      ) as PackedEntry[]) {
        seq += seqStep;
        ts += tsStep;
        entries.push([seq, ts, JSON.stringify(rest).slice(1, -1)]);
      }
    }
    // [seq step, ts step, source, type, event_id, name, details]: short numbers deflate better; details is
    // already JSON text, so it is embedded as is.
    for (const [seq, ts, source, type, id, name, details] of rows) {
      const fields = `${JSON.stringify(source)},${JSON.stringify(type)},${Number(id)},${
        name === null || name === undefined ? 'null' : JSON.stringify(text(name))
      },${details === null || details === undefined ? 'null' : text(details)}`;
      entries.push([Number(seq), Number(ts), fields]);
    }
    let seqBefore = open ? open.lastSeq : (entries[0]?.[0] ?? 0);
    let tsBefore = open ? open.lastTs : (entries[0]?.[1] ?? 0);
    let lastTs = open ? open.lastTs : -Infinity;
    const packed = entries.map(([seq, ts, fields]) => {
      const entry = `[${seq - seqBefore},${ts - tsBefore},${fields}]`;
      seqBefore = seq;
      tsBefore = ts;
      lastTs = Math.max(lastTs, ts);
      return entry;
    });
    // Buffered entries never were rows: they get their row numbers now, after every row committed so far, as an
    // insert into `log` would have (a follower's offset is the highest it has seen). Their part of the array is
    // one JSON.stringify (half the time of one per field on an order's entries).
    let firstSeq = open ? open.firstSeq : entries[0]?.[0];
    let firstTs = open ? open.firstTs : entries[0]?.[1];
    if (buffered.length > 0) {
      let seq = this.reserveLogSeqs(buffered.length) - buffered.length + 1;
      if (firstSeq === undefined || firstTs === undefined) {
        firstSeq = seqBefore = seq;
        firstTs = tsBefore = Date.parse(buffered[0].timestamp);
      }
      const tuples = buffered.map((e) => {
        const ts = Date.parse(e.timestamp);
        const tuple = [seq - seqBefore, ts - tsBefore, e.source, e.type, e.id, e.name ?? null, e.details ?? null];
        seqBefore = seq++;
        tsBefore = ts;
        lastTs = Math.max(lastTs, ts);
        return tuple;
      });
      packed.push(JSON.stringify(tuples).slice(1, -1));
    }
    const stream = continuePack(open ?? NEW_PACK, `${open ? ',' : '['}${packed.join(',')}`);
    this.stmt(
      'INSERT OR REPLACE INTO log_packed (execution_id, first_seq, last_seq, first_ts, last_ts, entries) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(executionId, firstSeq, seqBefore, firstTs, lastTs, closePack(stream));
    // Bounded: executions recovered for other processes are never released here (packLater then reads the rows).
    if (this.packedHere.size >= 10_000) this.packedHere.clear();
    this.packedHere.add(executionId);
    this.openPacks.delete(executionId);
    if (this.openPacks.size >= MAX_OPEN_PACKS) this.openPacks.delete(this.openPacks.keys().next().value!);
    this.openPacks.set(executionId, { ...stream, firstSeq, firstTs, lastSeq: seqBefore, lastTs });
  }

  /** Takes `count` row numbers of `log`'s AUTOINCREMENT sequence (inside the caller's transaction); the last one. */
  private reserveLogSeqs(count: number): number {
    const row = this.stmt("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'log' RETURNING seq").get(count) as
      Row | undefined;
    if (row) return Number(row.seq);
    // No row was ever inserted into `log`: the sequence starts here.
    this.stmt("INSERT INTO sqlite_sequence (name, seq) VALUES ('log', ?)").run(count);
    return count;
  }

  /** Packs what an ended execution recorded after its outcome, with the turn's commit (see `packLog`). */
  packLater(executionId: number): void {
    this.defer(() => {
      const open = this.openPacks.has(executionId);
      // Packed by this store with nothing written or buffered for it since: nothing to add.
      if (this.packedHere.delete(executionId) && !this.buffered.has(executionId)) {
        this.openPacks.delete(executionId);
        return;
      }
      // Its pack is open here: it ended (the pack was written with its outcome).
      if (open || this.stmt('SELECT 1 FROM outcomes WHERE execution_id = ?').get(executionId))
        this.packLog(executionId);
      // Released: nothing more is expected of it (a later entry is packed the long way, reading the pack back).
      this.openPacks.delete(executionId);
    });
  }

  private heartbeatOf(executionId: number): number {
    const row = this.stmt('SELECT heartbeat FROM executions WHERE id = ?').get(executionId) as Row | undefined;
    return Number(row?.heartbeat ?? 0);
  }

  /** While this process owns running executions, it says so every few seconds (other processes read it). */
  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      try {
        this.stmt("UPDATE executions SET heartbeat = ? WHERE owner_pid = ? AND status = 'RUNNING'").run(
          Date.now(),
          process.pid,
        );
      } catch {
        // A busy or failing database: the next beat tries again, and writes report the fault themselves.
      }
    }, HEARTBEAT_EVERY_MS);
    this.heartbeat.unref();
  }

  /**
   * Recovery, run by every process that opens the stage: an execution still RUNNING whose owner process is gone
   * (its pid is dead, or its heartbeat is older than HEARTBEAT_STALE_MS) ends ABORTED with the cause
   * "interrupted: process N exited"; its queued deliveries move to the dead letters. Resending the order id
   * then starts a new execution, in both modes.
   */
  recoverInterrupted(): number {
    const db = this.db!;
    const running = this.guard(
      () => db.prepare(`${SELECT_EXECUTION} WHERE x.status = 'RUNNING' AND x.owner_pid != ?`).all(process.pid) as Row[],
    );
    const gone = running.filter((row) => !ownerAlive(Number(row.owner_pid), Number(row.heartbeat)));
    if (gone.length === 0) return 0;
    this.tx(() => {
      for (const row of gone)
        this.interrupt(rowToExecution(row), `interrupted: process ${String(row.owner_pid)} exited`);
    });
    return gone.length;
  }

  /** Ends one execution ABORTED (inside the caller's transaction); skipped when it has ended meanwhile. */
  interrupt(execution: ExecutionRecord, cause: string): boolean {
    const current = this.stmt('SELECT status FROM executions WHERE id = ?').get(execution.id) as Row | undefined;
    if (current?.status !== 'RUNNING') return false;
    const source: LogSource = execution.mode === 'orchestration' ? 'execution' : 'events';
    const type = execution.mode === 'orchestration' ? 'ExecutionAborted' : 'OrderInterrupted';
    const now = Date.now();
    this.wroteRowsOf(execution.id);
    this.stmt(INSERT_LOG_ROW).run(
      execution.orderId,
      execution.id,
      now,
      source,
      type,
      this.nextEventId(execution.id, source),
      null,
      JSON.stringify({ reason: cause }),
    );
    for (const delivery of this.stmt('SELECT * FROM deliveries WHERE execution_id = ?').all(execution.id) as Row[]) {
      this.stmt(
        'INSERT INTO dead_letters (execution_id, order_id, ts, rule, target, attempts, error, cause, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        execution.id,
        execution.orderId,
        now,
        text(delivery.rule ?? '(not routed)'),
        '-',
        0,
        'Interrupted',
        cause,
        String(delivery.event),
      );
    }
    let state: Record<string, unknown> = { orderId: execution.orderId };
    try {
      if (execution.input) state = JSON.parse(execution.input) as Record<string, unknown>;
    } catch {
      // an input that is not JSON was never accepted; keep the order id alone
    }
    const outcome = buildOutcome({
      orderId: execution.orderId,
      mode: execution.mode,
      status: 'ABORTED',
      state,
      failure: { Error: 'Interrupted', Cause: cause },
      startedAt: execution.startDate,
      finishedAt: new Date(now).toISOString(),
    });
    return this.writeOutcomeNow(execution.id, 'ABORTED', outcome);
  }

  /** Ends the order's latest execution ABORTED now, if it still runs (a stopping `serve`). */
  interruptLatest(orderId: string, cause: string): boolean {
    // Its entries on disk first: the interruption's entry is numbered after them.
    this.defer(() => this.writeBuffered());
    this.commit();
    return this.tx(() => {
      const latest = this.latestExecution(orderId);
      return latest ? this.interrupt(latest, cause) : false;
    });
  }

  // ---- outcomes ----

  /** The outcome of an order's latest execution (or of execution N). */
  readOutcome(orderId: string, execution?: number): OrderOutcome | undefined {
    if (!this.exists()) return undefined;
    const row = this.guard(
      () =>
        (execution === undefined
          ? this.stmt(
              'SELECT o.outcome FROM executions x JOIN outcomes o ON o.execution_id = x.id WHERE x.order_id = ? ORDER BY x.id DESC LIMIT 1',
            ).get(orderId)
          : this.stmt(
              'SELECT o.outcome FROM outcomes o JOIN executions x ON x.id = o.execution_id WHERE x.order_id = ? AND x.execution = ?',
            ).get(orderId, execution)) as Row | undefined,
    );
    return row ? this.decode('an outcome row', () => outcomeFrom(row.outcome)) : undefined;
  }

  /** The outcome of one execution by its stage-wide id. */
  readExecutionOutcome(executionId: number): OrderOutcome | undefined {
    const row = this.guard(
      () => this.stmt('SELECT outcome FROM outcomes WHERE execution_id = ?').get(executionId) as Row | undefined,
    );
    return row ? this.decode('an outcome row', () => outcomeFrom(row.outcome)) : undefined;
  }

  /** The latest outcome of every order. */
  listOutcomes(): OrderOutcome[] {
    if (!this.exists()) return [];
    const rows = this.guard(
      () =>
        this.stmt(
          'SELECT outcome FROM outcomes WHERE execution_id IN (SELECT max(execution_id) FROM outcomes GROUP BY order_id)',
        ).all() as Row[],
    );
    return rows.map((r) => this.decode('an outcome row', () => outcomeFrom(r.outcome)));
  }

  /** Each order's latest execution started since `since` (ms), finished or still running. */
  listOrders(since: number): OrderSummary[] {
    if (!this.exists()) return [];
    const rows = this.guard(
      () =>
        this.stmt(
          `SELECT x.order_id, x.execution, x.mode, x.status, x.started_at, o.status AS outcome_status, o.duration_ms
      FROM executions x LEFT JOIN outcomes o ON o.execution_id = x.id
      WHERE x.started_at >= ? AND x.execution = (SELECT max(execution) FROM executions y WHERE y.order_id = x.order_id)`,
        ).all(since) as Row[],
    );
    const now = Date.now();
    return rows.map((r) => ({
      orderId: String(r.order_id),
      execution: Number(r.execution),
      mode: String(r.mode) as Mode,
      status: String(r.outcome_status ?? r.status) as OutcomeStatus,
      startedAt: new Date(Number(r.started_at)).toISOString(),
      // Unfinished orders count with their age so far: an order that never ends is the slowest of all.
      durationMs:
        r.duration_ms !== null && r.duration_ms !== undefined ? Number(r.duration_ms) : now - Number(r.started_at),
    }));
  }

  // ---- event deliveries (events mode) ----

  /** Queues an event delivery (durable with the turn's commit, or at once with `commit()`); returns a handle. */
  enqueueDelivery(executionId: number, orderId: string, rule: string | null, event: object): DeliveryHandle {
    return this.enqueueDeliveries(executionId, orderId, [rule], event)[0];
  }

  /**
   * Queues one delivery of an event per rule (the rules it matched): the event's JSON is made once for all.
   *
   * A turn's deliveries are written together, in one INSERT of all the turn's rows at the place of the turn's
   * first one among its queued writes, and the turn's finished deliveries are deleted in one DELETE: the
   * statements per event went from two per matched rule to a share of two per turn. What a crash leaves is
   * what it left before, since a turn's writes commit in one transaction and in order: an event's rows are
   * durable in the commit of the turn that accepted it, which is no later than the commit that deletes the row
   * of the delivery whose handler published it (that handler's result comes after its PutEvents' answer). A
   * delivery finished in the turn that queued it is never written (nor deleted): that commit holds both or
   * neither. Rows written earlier than their own turn's later writes can only meet an execution's outcome
   * (`writeOutcomeNow` deletes its rows) before the delivery ends instead of after it: the row goes either way.
   */
  enqueueDeliveries(
    executionId: number,
    orderId: string,
    rules: ReadonlyArray<string | null>,
    event: object,
  ): DeliveryHandle[] {
    if (rules.length === 0) return [];
    const json = JSON.stringify(event);
    const handles = rules.map((rule) => {
      const handle: DeliveryHandle = {};
      this.deliveryInserts.push({ handle, values: [executionId, orderId, rule, json] });
      return handle;
    });
    if (!this.deliveryInsertsQueued) {
      this.deliveryInsertsQueued = true;
      this.defer(() => this.writeDeliveryInserts());
    }
    return handles;
  }

  /** A delivery done (delivered, dead-lettered or routed). */
  completeDelivery(handle: DeliveryHandle): void {
    if (handle.id === undefined) {
      // Not written yet: it never will be (see enqueueDeliveries).
      const pending = this.deliveryInserts.findIndex((insert) => insert.handle === handle);
      if (pending >= 0) this.deliveryInserts.splice(pending, 1);
      return;
    }
    this.deliveryDeletes.push(handle.id);
    if (this.deliveryDeletes.length === 1) this.defer(() => this.writeDeliveryDeletes());
  }

  /** The turn's queued deliveries as rows, in one statement per chunk (inside the caller's transaction). */
  private writeDeliveryInserts(): void {
    const inserts = this.deliveryInserts;
    this.deliveryInserts = [];
    this.deliveryInsertsQueued = false;
    for (let start = 0; start < inserts.length;) {
      const size = chunkSize(inserts.length - start);
      const chunk = inserts.slice(start, start + size);
      start += size;
      const rows = Array<string>(size).fill('(?, ?, ?, ?)').join(', ');
      const sql = `INSERT INTO deliveries (execution_id, order_id, rule, event) VALUES ${rows} RETURNING id`;
      // One statement's new row ids ascend in the order of its VALUES (each is the table's largest plus one).
      const ids = (
        this.stmt(sql)
          .raw(true)
          .all(...chunk.flatMap((insert) => insert.values)) as unknown[][]
      )
        .map((row) => Number(row[0]))
        .sort((a, b) => a - b);
      chunk.forEach((insert, index) => (insert.handle.id = ids[index]));
    }
  }

  /** The turn's finished deliveries, deleted in one statement (inside the caller's transaction). */
  private writeDeliveryDeletes(): void {
    const ids = this.deliveryDeletes;
    this.deliveryDeletes = [];
    this.stmt('DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids));
  }

  queuedDeliveries(executionId?: number): QueuedDelivery[] {
    if (!this.exists()) return [];
    const rows = this.guard(
      () =>
        (executionId === undefined
          ? this.stmt('SELECT * FROM deliveries ORDER BY id').all()
          : this.stmt('SELECT * FROM deliveries WHERE execution_id = ? ORDER BY id').all(executionId)) as Row[],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      executionId: Number(r.execution_id),
      orderId: String(r.order_id),
      rule: r.rule === null ? null : text(r.rule),
      event: this.decode('an event row', () => JSON.parse(String(r.event)) as Record<string, unknown>),
    }));
  }

  deadLetter(executionId: number | undefined, letter: Omit<DeadLetter, 'execution' | 'timestamp'>): void {
    this.defer(() => {
      this.stmt(
        'INSERT INTO dead_letters (execution_id, order_id, ts, rule, target, attempts, error, cause, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        executionId ?? null,
        letter.orderId,
        Date.now(),
        letter.rule,
        letter.target,
        letter.attempts,
        letter.error,
        letter.cause,
        JSON.stringify(letter.event),
      );
    });
  }

  listDeadLetters(orderId?: string): DeadLetter[] {
    if (!this.exists()) return [];
    const sql = `SELECT d.*, x.execution FROM dead_letters d LEFT JOIN executions x ON x.id = d.execution_id ${orderId ? 'WHERE d.order_id = ?' : ''} ORDER BY d.id`;
    const rows = this.guard(() => (orderId ? this.stmt(sql).all(orderId) : this.stmt(sql).all()) as Row[]);
    return rows.map((r) => this.deadLetterFrom(r));
  }

  /** A `dead_letters` row (joined with its execution's number) as a dead letter. */
  private deadLetterFrom(r: Row): DeadLetter {
    return {
      timestamp: new Date(Number(r.ts)).toISOString(),
      orderId: String(r.order_id),
      execution: r.execution === null || r.execution === undefined ? null : Number(r.execution),
      rule: String(r.rule),
      target: String(r.target),
      attempts: Number(r.attempts),
      error: String(r.error),
      cause: String(r.cause),
      event: this.decode('an event row', () => JSON.parse(String(r.event)) as Record<string, unknown>),
    };
  }

  /**
   * Dead letters for `fulfill redrive`, oldest first, with their row id and the execution they came from (its
   * number, status and order input: a redrive starts a new execution of the order with the same input).
   */
  deadLettersToRedrive(filter: { orderId?: string; rule?: string } = {}): RedrivableLetter[] {
    if (!this.exists()) return [];
    const where = [...(filter.orderId ? ['d.order_id = ?'] : []), ...(filter.rule ? ['d.rule = ?'] : [])];
    const params = [...(filter.orderId ? [filter.orderId] : []), ...(filter.rule ? [filter.rule] : [])];
    const sql = `SELECT d.*, x.execution, x.status AS execution_status, i.input
      FROM dead_letters d LEFT JOIN executions x ON x.id = d.execution_id
      LEFT JOIN inputs i ON i.execution_id = d.execution_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id`;
    const rows = this.guard(() => this.stmt(sql).all(...params) as Row[]);
    return rows.map((r) => ({
      ...this.deadLetterFrom(r),
      id: Number(r.id),
      executionStatus:
        r.execution_status === null || r.execution_status === undefined ? null : text(r.execution_status),
      input: r.input === null || r.input === undefined ? null : text(r.input),
    }));
  }

  /** Removes a redriven dead letter (queued with the turn's commit, so with the redelivery's own entries). */
  removeDeadLetter(id: number): void {
    this.defer(() => this.stmt('DELETE FROM dead_letters WHERE id = ?').run(id));
  }

  /** Commits what is queued and closes the database. */
  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    clearTimeout(this.bufferTimer);
    this.bufferTimer = undefined;
    if (!this.db) return;
    try {
      if (!this.fault) this.flushBuffered();
      if (!this.fault) this.commit();
    } finally {
      this.statements.clear();
      this.db.close();
      this.db = undefined;
    }
  }
}

/** A process owns its executions while it lives and its heartbeat is fresh. */
export function ownerAlive(pid: number, heartbeat: number): boolean {
  if (pid === process.pid) return true;
  if (Date.now() - heartbeat > HEARTBEAT_STALE_MS) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function rowToExecution(row: Row): ExecutionRecord {
  return {
    id: Number(row.id),
    orderId: String(row.order_id),
    execution: Number(row.execution),
    mode: String(row.mode) as Mode,
    input: row.input === null || row.input === undefined ? '' : text(row.input),
    status: String(row.status) as ExecutionStatus,
    pid: Number(row.owner_pid),
    startDate: new Date(Number(row.started_at)).toISOString(),
    stopDate:
      row.stopped_at === null || row.stopped_at === undefined ? null : new Date(Number(row.stopped_at)).toISOString(),
  };
}

/** Array.isArray narrows a `readonly T[]` to `any[]`; this keeps the element type. */
function isList<T>(value: T | readonly T[]): value is readonly T[] {
  return Array.isArray(value);
}

/** One packed entry: [seq step, ts step, source, type, event_id, name, details]. */
type PackedEntry = [number, number, LogSource, string, number, string | null, Record<string, unknown> | null];

function rowToEntry(row: unknown[]): LogEntry {
  const [, orderId, execution, ts, source, type, id, name, details] = row;
  return entryOf(
    String(orderId),
    execution === null || execution === undefined ? undefined : Number(execution),
    Number(ts),
    source as LogSource,
    String(type),
    Number(id),
    name === null || name === undefined ? null : text(name),
    details === null || details === undefined ? null : (JSON.parse(text(details)) as Record<string, unknown>),
  );
}

function entryOf(
  orderId: string,
  execution: number | undefined,
  ts: number,
  source: LogSource,
  type: string,
  eventId: number,
  name: string | null,
  details: Record<string, unknown> | null,
): LogEntry {
  return {
    timestamp: new Date(ts).toISOString(),
    orderId,
    ...(execution !== undefined ? { execution } : {}),
    source,
    type,
    id: eventId,
    // Ids count up by one per stream, so the previous id is not stored.
    ...(eventId > 1 ? { previousEventId: eventId - 1 } : {}),
    ...(name !== null ? { name } : {}),
    ...(details !== null ? { details } : {}),
  };
}

/** An outcome document as stored: deflated JSON. */
function outcomeFrom(value: unknown): OrderOutcome {
  const json =
    value instanceof Uint8Array
      ? inflateRawSync(value, { dictionary: OUTCOME_DICTIONARY }).toString('utf8')
      : text(value);
  return JSON.parse(json) as OrderOutcome;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

const INSERT_LOG_ROW =
  'INSERT INTO log (order_id, execution_id, ts, source, type, event_id, name, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

/** A log entry as the values of INSERT_LOG_ROW. */
function logRow(e: LogEntry, executionId: number | null) {
  return [
    e.orderId,
    executionId,
    Date.parse(e.timestamp),
    e.source,
    e.type,
    e.id,
    e.name ?? null,
    e.details === undefined ? null : JSON.stringify(e.details),
  ] as const;
}

/**
 * Rows per multi-row INSERT: the largest power of two up to 64 that fits, so a few prepared statements serve any
 * number of rows (64 rows of 4 values stay far below SQLite's 32,766 bound parameters).
 */
function chunkSize(rows: number): number {
  let size = 64;
  while (size > rows) size /= 2;
  return size;
}
