import { LogSequencer, type LogEntry, type LogSource } from '../logs/entry.js';
import type { LocalStore } from './store.js';

/**
 * Writes log entries for one process: ids per order and stream, durable append, and in-process listeners.
 * Entries recorded in the same turn of the event loop are appended with one write (the hot path records
 * ~25 entries per order); `flush()` makes them durable at once, e.g. before an outcome is written.
 */
export class Recorder {
  private readonly sequencer = new LogSequencer();
  private readonly listeners = new Set<(entry: LogEntry) => void>();
  private pending: LogEntry[] = [];
  private scheduled = false;

  constructor(private readonly store: LocalStore) {}

  record(orderId: string, source: LogSource, type: string, fields: { name?: string; details?: Record<string, unknown>; timestamp?: number } = {}): LogEntry {
    const entry: LogEntry = {
      timestamp: new Date(fields.timestamp ?? Date.now()).toISOString(),
      orderId,
      source,
      type,
      ...this.sequencer.next(orderId, source),
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(fields.details !== undefined ? { details: fields.details } : {}),
    };
    this.pending.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.store.appendLog(batch);
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
