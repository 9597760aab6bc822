import { LogSequencer, type LogEntry, type LogSource } from '../logs/entry.js';
import { BUFFERED, type ExecutionRecord, type LocalStore } from './store.js';

/**
 * Writes log entries for one process: ids per execution and stream, grouped durable writes, and in-process
 * listeners. Entries recorded in the same turn of the event loop are committed in one transaction with the
 * turn's other writes (the hot path records ~25 entries per order); `flush()` commits at once. A `buffered`
 * execution's entries are kept by the store and written once, packed, with its outcome (`LocalStore.bufferLog`).
 */
export class Recorder {
  private readonly sequencer = new LogSequencer();
  private readonly listeners = new Set<(entry: LogEntry) => void>();
  /** Each order's current execution in this process: its entries carry it. */
  private readonly current = new Map<string, Pick<ExecutionRecord, 'id' | 'execution'>>();
  /** Entries of this turn whose order had no execution yet (the API request, recorded before the claim). */
  private unbound: LogEntry[] = [];
  private readonly executionIds = new WeakMap<LogEntry, number | typeof BUFFERED>();
  /** Executions whose entries the store keeps in memory until they end (see `LocalStore.bufferLog`). */
  private readonly buffered = new Set<number>();

  constructor(private readonly store: LocalStore) {}

  record(
    orderId: string,
    source: LogSource,
    type: string,
    fields: { name?: string; details?: Record<string, unknown>; timestamp?: number } = {},
  ): LogEntry {
    const execution = this.current.get(orderId);
    const entry: LogEntry = {
      timestamp: new Date(fields.timestamp ?? Date.now()).toISOString(),
      orderId,
      ...(execution ? { execution: execution.execution } : {}),
      source,
      type,
      ...this.sequencer.next(`${orderId}#${execution?.id ?? ''}`, source),
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(fields.details !== undefined ? { details: fields.details } : {}),
    };
    if (execution && this.buffered.has(execution.id)) this.store.bufferLog(execution.id, entry);
    else {
      if (execution) this.executionIds.set(entry, execution.id);
      else {
        // Only this turn's unbound entries can still be bound (the claim follows the request in the same turn).
        if (this.unbound.length === 0) setImmediate(() => (this.unbound = []));
        this.unbound.push(entry);
      }
      this.store.appendLog(entry, (e) => this.executionIds.get(e));
    }
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /**
   * From now on the order's entries belong to this execution; so do its entries of this turn recorded before
   * the execution existed (the API request that started it), renumbered on the execution's streams.
   * `buffered`: its entries, those bound now included, are kept in memory and written with its outcome
   * (orchestration, where nothing else is committed with them): the claim commits the execution and its input,
   * which is what makes the order durable; the request's entry is history like the rest (see `bufferLog`).
   */
  bind(execution: Pick<ExecutionRecord, 'id' | 'execution' | 'orderId'>, options: { buffered?: boolean } = {}): void {
    this.current.set(execution.orderId, execution);
    if (options.buffered) this.buffered.add(execution.id);
    const key = `${execution.orderId}#${execution.id}`;
    for (const entry of this.unbound) {
      if (entry.orderId !== execution.orderId) continue;
      entry.execution = execution.execution;
      const { id, previousEventId } = this.sequencer.next(key, entry.source);
      entry.id = id;
      if (previousEventId === undefined) delete entry.previousEventId;
      else entry.previousEventId = previousEventId;
      if (options.buffered) {
        // Its queued row is skipped (see appendLog): one write, packed, instead of a row that packing deletes.
        this.executionIds.set(entry, BUFFERED);
        this.store.bufferLog(execution.id, entry);
      } else this.executionIds.set(entry, execution.id);
    }
    this.unbound = this.unbound.filter((e) => e.orderId !== execution.orderId);
  }

  /** The order's current execution in this process, if any. */
  executionOf(orderId: string): Pick<ExecutionRecord, 'id' | 'execution'> | undefined {
    return this.current.get(orderId);
  }

  /** Forgets a finished execution (memory stays flat over long runs). */
  release(orderId: string, executionId: number): void {
    if (this.current.get(orderId)?.id === executionId) this.current.delete(orderId);
    this.buffered.delete(executionId);
    // Entries after this are not the execution's (they are numbered on the order's unbound streams).
    this.sequencer.forget(`${orderId}#${executionId}`);
    // What it recorded after its outcome (events: the fan-out branches that were still running) is packed now.
    this.store.packLater(executionId);
  }

  /** Commits every queued write now (log entries, outcomes, deliveries). */
  flush(): void {
    this.unbound = [];
    this.store.commit();
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
