import { LogSequencer, type LogEntry, type LogSource } from '../logs/entry.js';
import type { LocalStore } from './store.js';

/** Writes log entries for one process: ids per order and stream, durable append, and in-process listeners. */
export class Recorder {
  private readonly sequencer = new LogSequencer();
  private readonly listeners = new Set<(entry: LogEntry) => void>();

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
    this.store.appendLog(entry);
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
