import { createRequire } from 'node:module';
import { join } from 'node:path';

type Db = import('libsql').Database;

/** Opens a stage's state.db as a user would with the sqlite3 shell: plain SQL, no recovery (and no writes here). */
export function openStateDb(project: string, stage: string): Db {
  const Database = createRequire(import.meta.url)('libsql') as typeof import('libsql');
  return new Database(join(project, '.fulfill/local', stage, 'state.db'), { timeout: 10_000 });
}

export interface ExecutionRow {
  id: number;
  orderId: string;
  execution: number;
  status: string;
  outcomes: number;
  outcomeStatus: string | null;
}

/** Every execution of the stage with how many outcomes it has (the invariant: exactly one, once it ended). */
export function executionRows(project: string, stage: string): ExecutionRow[] {
  const db = openStateDb(project, stage);
  try {
    const rows = db
      .prepare(
        `SELECT x.id, x.order_id, x.execution, x.status,
      (SELECT count(*) FROM outcomes o WHERE o.execution_id = x.id) AS outcomes,
      (SELECT o.status FROM outcomes o WHERE o.execution_id = x.id) AS outcome_status
      FROM executions x ORDER BY x.id`,
      )
      .all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      orderId: String(r.order_id),
      execution: Number(r.execution),
      status: String(r.status),
      outcomes: Number(r.outcomes),
      outcomeStatus: r.outcome_status === null ? null : String(r.outcome_status),
    }));
  } finally {
    db.close();
  }
}

/** How many executions the stage has so far (0 while the database does not exist yet). */
export function executionCount(project: string, stage: string): number {
  try {
    const db = openStateDb(project, stage);
    try {
      return Number((db.prepare('SELECT count(*) AS n FROM executions').get() as Record<string, unknown>).n);
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}
