import type { LogEntry } from '../logs/entry.js';
import type { OrderOutcome } from '../order/outcome.js';
import type { EventFlow } from '../blueprint/event-flow.js';
import { compilePattern } from '../events/pattern.js';
import { orderCost, type OrderCost } from '../compare/usage.js';
import { text } from '../json.js';

export interface TraceSpan {
  /** What ran: an API request, a state, a handler invocation, an event, a delivery to a rule's target. */
  kind: 'api' | 'state' | 'invocation' | 'event' | 'delivery' | 'dead-letter' | 'fault';
  name: string;
  /** Milliseconds from the order's first entry. */
  startMs: number;
  durationMs: number;
  status: 'ok' | 'failed';
  attempt?: number;
  rule?: string;
  error?: string;
  onCriticalPath: boolean;
}

export interface OrderTrace {
  orderId: string;
  mode: string | null;
  status: string;
  startedAt: string;
  totalMs: number;
  spans: TraceSpan[];
  /** The chain of spans that decided the total latency, in order. */
  criticalPath: string[];
  /** Time on the critical path where nothing ran (queues, scheduling, delivery latency). */
  waitingMs: number;
  gaps: Array<{ after: string; before: string; ms: number }>;
  retries: number;
  errors: string[];
  /** What the order used (from its log entries) and would cost on AWS (src/lib/compare/prices.ts). */
  cost?: OrderCost;
}

/**
 * One timeline of everything that happened to an order, from the same log entries in both modes:
 * execution history (states, Lambda invocations with retries) or bus events (events, matched rules,
 * deliveries with attempts). The critical path is the causal chain to the final state or event.
 */
export function buildTrace(
  orderId: string,
  entries: readonly LogEntry[],
  outcome?: OrderOutcome,
  flow?: Pick<EventFlow, 'rules' | 'outcome'>,
  options: { memoryMb?: number } = {},
): OrderTrace {
  const sorted = [...entries].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  const t0 = sorted.length
    ? Date.parse(sorted[0].timestamp)
    : Date.parse(outcome?.startedAt ?? new Date().toISOString());
  const at = (e: LogEntry) => Date.parse(e.timestamp) - t0;
  const spans: TraceSpan[] = [];
  const errors: string[] = [];
  let retries = 0;

  // Injected faults (--inject) are marked as such, in both modes.
  for (const e of sorted.filter((x) => x.type === 'FaultInjected')) {
    spans.push({
      kind: 'fault',
      name: `${e.name ?? '?'} ${text(e.details?.spec ?? e.details?.fault ?? '')}`.trim(),
      startMs: at(e),
      durationMs: 0,
      status: 'failed',
      onCriticalPath: false,
    });
  }
  for (const e of sorted.filter((x) => x.source === 'api')) {
    spans.push({
      kind: 'api',
      name: `${e.name ?? 'request'} ${text(e.details?.statusCode ?? '')}`.trim(),
      startMs: at(e),
      durationMs: 0,
      status: e.type === 'ApiRequestReceived' ? 'ok' : 'failed',
      onCriticalPath: true,
    });
  }

  // Orchestration: states (entered -> exited) and the Lambda invocations inside them.
  const open = new Map<string, LogEntry>();
  const attempts = new Map<string, number>();
  const lambdaStarted = new Map<string, number>();
  for (const e of sorted.filter((x) => x.source === 'execution')) {
    if (e.type === 'LambdaFunctionStarted' && e.name) lambdaStarted.set(e.name, at(e));
    if (e.type.endsWith('StateEntered') && e.name) open.set(e.name, e);
    else if (e.type.endsWith('StateExited') && e.name && open.has(e.name)) {
      const start = open.get(e.name)!;
      open.delete(e.name);
      spans.push({
        kind: 'state',
        name: e.name,
        startMs: at(start),
        durationMs: at(e) - at(start),
        status: 'ok',
        onCriticalPath: true,
      });
    } else if (/^LambdaFunction(Succeeded|Failed|TimedOut)$/.test(e.type) && e.name) {
      const attempt = (attempts.get(e.name) ?? 0) + 1;
      attempts.set(e.name, attempt);
      if (attempt > 1) retries++;
      // The local runtime records durationMs; AWS history has the Started event's time instead.
      const durationMs = Number(
        e.details?.durationMs ?? (lambdaStarted.has(e.name) ? at(e) - lambdaStarted.get(e.name)! : 0),
      );
      const failed = e.type !== 'LambdaFunctionSucceeded';
      if (failed) errors.push(`${e.name}: ${String(e.details?.error)}`);
      spans.push({
        kind: 'invocation',
        name: e.name,
        startMs: at(e) - durationMs,
        durationMs,
        status: failed ? 'failed' : 'ok',
        attempt,
        ...(failed ? { error: String(e.details?.error) } : {}),
        onCriticalPath: true,
      });
    } else if (e.type === 'ExecutionFailed') {
      errors.push(`execution: ${String(e.details?.error)}`);
    }
  }
  // A state still open (a Fail state never exits) ends where the history ends.
  for (const [name, start] of open)
    spans.push({
      kind: 'state',
      name,
      startMs: at(start),
      durationMs: Math.max(0, at(sorted.at(-1)!) - at(start)),
      status: 'failed',
      onCriticalPath: true,
    });

  // Events: events are points; a delivery spans its attempt. Links: delivery.details.eventId (what it got)
  // and delivery.details.result.eventId (what the function published).
  const events = sorted.filter((x) => x.source === 'events');
  const eventSpan = new Map<string, TraceSpan>();
  const producedBy = new Map<string, { span: TraceSpan; trigger: string }>();
  for (const e of events) {
    const d = e.details ?? {};
    if (e.type === 'EventPublished') {
      const span: TraceSpan = {
        kind: 'event',
        name: e.name ?? '?',
        startMs: at(e),
        durationMs: 0,
        status: /Failed$/.test(e.name ?? '') ? 'failed' : 'ok',
        onCriticalPath: false,
      };
      spans.push(span);
      eventSpan.set(String(d.eventId), span);
    } else if (e.type === 'DeliverySucceeded' || e.type === 'DeliveryFailed') {
      const durationMs = Number(d.durationMs ?? 0);
      const attempt = Number(d.attempt ?? 1);
      if (attempt > 1) retries++;
      const failed = e.type === 'DeliveryFailed';
      if (failed)
        errors.push(`${String(d.target)} (rule ${String(d.rule)}): ${String(d.error)}: ${text(d.cause ?? '')}`);
      const span: TraceSpan = {
        kind: 'delivery',
        name: String(d.target),
        rule: String(d.rule),
        startMs: at(e) - durationMs,
        durationMs,
        status: failed ? 'failed' : 'ok',
        attempt,
        ...(failed ? { error: String(d.error) } : {}),
        onCriticalPath: false,
      };
      spans.push(span);
      const result = d.result as { eventId?: string } | undefined;
      if (result?.eventId) producedBy.set(result.eventId, { span, trigger: String(d.eventId) });
    } else if (e.type === 'DeadLettered') {
      spans.push({
        kind: 'dead-letter',
        name: String(d.target),
        rule: String(d.rule),
        startMs: at(e),
        durationMs: 0,
        status: 'failed',
        error: String(d.error),
        onCriticalPath: false,
      });
    }
  }
  // Walk back from the terminal event to the first one.
  const published = events.filter((e) => e.type === 'EventPublished');
  const terminal = [...events].reverse().find((e) => e.type === 'OutcomeRecorded');
  const terminalEvent = terminal
    ? [...published]
        .reverse()
        .find((e) => e.name === terminal.name && Date.parse(e.timestamp) <= Date.parse(terminal.timestamp))
    : flow
      ? [...published]
          .reverse()
          .find((e) => flow.outcome.succeeded.includes(e.name ?? '') || flow.outcome.failed.includes(e.name ?? ''))
      : undefined;
  let cursor = terminalEvent ? String(terminalEvent.details?.eventId) : undefined;
  while (cursor && eventSpan.has(cursor)) {
    eventSpan.get(cursor)!.onCriticalPath = true;
    const link = producedBy.get(cursor);
    if (link) {
      link.span.onCriticalPath = true;
      cursor = link.trigger;
    } else {
      // No delivery records (AWS keeps only the events): infer the cause from the flow, the latest earlier
      // event that a rule targeting the publishing function matches.
      cursor = flow ? inferCause(published, cursor, flow) : undefined;
    }
  }

  if (outcome?.error && !errors.some((e) => e.includes(outcome.error!.error)))
    errors.push(`outcome: ${outcome.error.error}: ${outcome.error.cause}`);

  spans.sort((a, b) => a.startMs - b.startMs || (a.kind === 'state' ? -1 : 1));
  const path = spans.filter((s) => s.onCriticalPath && s.kind !== 'state');
  const totalMs = outcome?.finishedAt ? Date.parse(outcome.finishedAt) - t0 : sorted.length ? at(sorted.at(-1)!) : 0;
  const gaps: OrderTrace['gaps'] = [];
  let waitingMs = 0;
  for (let i = 1; i < path.length; i++) {
    const prevEnd = path[i - 1].startMs + path[i - 1].durationMs;
    const ms = path[i].startMs - prevEnd;
    if (ms > 0) {
      waitingMs += ms;
      gaps.push({ after: label(path[i - 1]), before: label(path[i]), ms });
    }
  }
  return {
    orderId,
    mode:
      outcome?.mode ??
      (events.length ? 'events' : sorted.some((e) => e.source === 'execution') ? 'orchestration' : null),
    status: outcome?.status ?? 'RUNNING',
    startedAt: new Date(t0).toISOString(),
    totalMs,
    spans,
    criticalPath: path.map(label),
    waitingMs,
    gaps,
    retries,
    errors,
    ...(options.memoryMb !== undefined ? { cost: orderCost(orderId, sorted, options.memoryMb) } : {}),
  };
}

function inferCause(
  published: readonly LogEntry[],
  eventId: string,
  flow: Pick<EventFlow, 'rules'>,
): string | undefined {
  const index = published.findIndex((e) => String(e.details?.eventId) === eventId);
  const event = published[index];
  const source = text(event?.details?.source ?? '');
  if (!event || !source.startsWith('fulfill.')) return undefined;
  const fn = source.slice('fulfill.'.length);
  const rules = flow.rules.filter((r) => r.target === fn).map((r) => compilePattern(r.pattern));
  for (let i = index - 1; i >= 0; i--) {
    const candidate = published[i];
    const envelope = {
      'detail-type': candidate.name,
      source: candidate.details?.source,
      detail: candidate.details?.detail,
    };
    if (rules.some((matches) => matches(envelope))) return String(candidate.details?.eventId);
  }
  return undefined;
}

function label(span: TraceSpan): string {
  const retried =
    (span.kind === 'delivery' || span.kind === 'invocation') && span.attempt !== undefined && span.attempt > 1;
  return retried ? `${span.name}#${span.attempt}` : span.name;
}

/** A text waterfall: one row per span, a bar placed on a shared time axis. */
export function renderTrace(trace: OrderTrace, width = 40): string {
  const total = Math.max(1, trace.totalMs, ...trace.spans.map((s) => s.startMs + s.durationMs));
  const lines = [
    `order ${trace.orderId} ${trace.status} in ${trace.totalMs} ms (${trace.mode ?? 'unknown mode'}), ${trace.retries} retr${trace.retries === 1 ? 'y' : 'ies'}`,
  ];
  for (const s of trace.spans) {
    const from = Math.min(width - 1, Math.floor((s.startMs / total) * width));
    const len = Math.max(1, Math.round((s.durationMs / total) * width));
    const bar = `${' '.repeat(from)}${s.durationMs === 0 ? '◆' : '█'.repeat(Math.min(len, width - from))}`.padEnd(
      width,
    );
    const what =
      s.kind === 'fault'
        ? `injected fault: ${s.name}`
        : s.kind === 'delivery'
          ? `${s.name} ← rule ${s.rule}`
          : s.kind === 'event'
            ? `event ${s.name}`
            : s.kind === 'state'
              ? `state ${s.name}`
              : s.kind === 'invocation'
                ? `  λ ${s.name}`
                : s.kind === 'dead-letter'
                  ? `dead-lettered ${s.name} (rule ${s.rule})`
                  : s.name;
    const note = [s.attempt && s.attempt > 1 ? `attempt ${s.attempt}` : '', s.error ?? ''].filter(Boolean).join(', ');
    lines.push(
      `${String(s.startMs).padStart(6)} ms ${s.onCriticalPath ? '*' : ' '}|${bar}| ${what}${s.durationMs ? ` ${s.durationMs} ms` : ''}${note ? ` (${note})` : ''}`,
    );
  }
  lines.push(`critical path (*): ${trace.criticalPath.join(' -> ') || '-'}`);
  const largest = trace.gaps.reduce<OrderTrace['gaps'][number] | undefined>(
    (max, g) => (!max || g.ms > max.ms ? g : max),
    undefined,
  );
  lines.push(
    `waiting on the critical path: ${trace.waitingMs} ms${largest ? ` (largest: ${largest.ms} ms between ${largest.after} and ${largest.before})` : ''}`,
  );
  if (trace.errors.length) lines.push(`errors: ${trace.errors.join('; ')}`);
  if (trace.cost) {
    const u = trace.cost.usage;
    const counts =
      u.mode === 'events'
        ? `${u.eventsPublished} events published, ${u.ruleDeliveries} rule deliveries`
        : `${u.stateTransitions} state transitions`;
    const express = trace.cost.express
      ? ` (as an Express workflow: $${(trace.cost.express.usd * 1e6).toFixed(2)})`
      : '';
    lines.push(
      `usage: ${u.lambdaInvocations} Lambda invocations, ${Number(u.lambdaGbSeconds.toPrecision(3))} GB-s at ${u.memoryMb} MB, ${counts}`,
    );
    lines.push(
      `estimated AWS cost (${trace.cost.prices.region}, prices of ${trace.cost.prices.retrieved}): $${trace.cost.cost.usd.toPrecision(3)} per order, $${(trace.cost.cost.usd * 1e6).toFixed(2)} per million${express}`,
    );
  }
  return lines.join('\n');
}
