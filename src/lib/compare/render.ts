import type { ComparisonReport } from './run.js';
import type { CostEstimate } from './usage.js';

const usd = (n: number) => `$${n.toFixed(n >= 100 ? 0 : 2)}`;

/** The human view of a comparison: one side-by-side table, then per-order rows and the differences. */
export function renderComparison(r: ComparisonReport): string {
  const o = r.modes.orchestration;
  const e = r.modes.events;
  const wo = r.wiring.orchestration;
  const we = r.wiring.events;
  const rows: Array<[string, string, string] | string> = [
    `measured on ${o.orders} orders (${r.stages.orchestration} / ${r.stages.events})${r.faults.length ? `, injected: ${r.faults.join(', ')}` : ''}`,
    ['', 'orchestration', 'events'],
    [
      'outcomes',
      `${o.succeeded} ok, ${o.failed} failed, ${o.noOutcome} none`,
      `${e.succeeded} ok, ${e.failed} failed, ${e.noOutcome} none`,
    ],
    [
      'latency p50 / p95 / max',
      `${o.latencyMs.p50} / ${o.latencyMs.p95} / ${o.latencyMs.max} ms`,
      `${e.latencyMs.p50} / ${e.latencyMs.p95} / ${e.latencyMs.max} ms`,
    ],
    [
      'throughput (local)',
      `${o.throughputPerSecond.toFixed(1)} orders/s`,
      `${e.throughputPerSecond.toFixed(1)} orders/s`,
    ],
    ['Lambda invocations / order', fmt(o.perOrder.lambdaInvocations), fmt(e.perOrder.lambdaInvocations)],
    ['Lambda GB-s / order', fmt(o.perOrder.lambdaGbSeconds), fmt(e.perOrder.lambdaGbSeconds)],
    ['state transitions / order', fmt(o.perOrder.stateTransitions), '-'],
    ['events published / order', '-', fmt(e.perOrder.eventsPublished)],
    ['rule deliveries / order', '-', fmt(e.perOrder.ruleDeliveries)],
    ['dead-lettered / order', '-', fmt(e.perOrder.deadLettered)],
    ['log bytes / order', fmt(o.perOrder.logBytes), fmt(e.perOrder.logBytes)],
    [
      `AWS cost / 1M orders (${r.prices.region})`,
      `${usd(o.costPerMillion.usd)} Standard${o.expressCostPerMillion ? `, ${usd(o.expressCostPerMillion.usd)} Express` : ''}`,
      usd(e.costPerMillion.usd),
    ],
    ...costRows(o.costPerMillion, e.costPerMillion),
    'static (from the declared wiring)',
    [
      'integration points',
      `${wo.integrationPoints} states (${wo.taskStates} Task)`,
      `${we.integrationPoints}: ${we.rules} rules + ${we.eventTypes} event types`,
    ],
    ['decision points', `${wo.decisionPoints} Choice states`, `${we.decisionPoints} content filters`],
    ['files to read for one order', String(wo.filesToRead), String(we.filesToRead)],
    ['fan-out / fan-in event types', '-', `${we.fanOut} / ${we.fanIn}`],
    ['longest chain', `${wo.longestChain.length} states`, `${we.longestChain.length} events`],
  ];
  const width = [34, 34];
  const lines = rows.map((row) =>
    typeof row === 'string' ? `\n${row}` : `  ${row[0].padEnd(width[0])} ${row[1].padEnd(width[1])} ${row[2]}`,
  );
  if (we.eventTypeUse) {
    lines.push('\nevent types (events mode): producers -> consumers');
    for (const u of we.eventTypeUse)
      lines.push(`  ${u.eventType.padEnd(20)} ${u.producers.join(', ') || '-'} -> ${u.consumers.join(', ') || '-'}`);
  }
  if (r.orders.length <= 12) {
    lines.push('\nper order: status, latency, invocations, GB-s, transitions | events, deliveries');
    for (const x of r.orders) {
      const uo = x.usage.orchestration;
      const ue = x.usage.events;
      lines.push(`  ${x.orderId} (${x.origin})`);
      lines.push(
        `    orchestration ${x.orchestration.status} ${x.orchestration.latencyMs ?? '-'} ms, ${uo.lambdaInvocations} inv, ${fmt(uo.lambdaGbSeconds)} GB-s, ${uo.stateTransitions} transitions`,
      );
      lines.push(
        `    events        ${x.events.status} ${x.events.latencyMs ?? '-'} ms, ${ue.lambdaInvocations} inv, ${fmt(ue.lambdaGbSeconds)} GB-s, ${ue.eventsPublished} events, ${ue.ruleDeliveries} deliveries`,
      );
    }
  }
  for (const err of r.errors)
    lines.push(`${err.mode === 'events' ? 'events       ' : 'orchestration'} ${err.orderId}: ${err.error}`);
  lines.push(
    r.differences.length
      ? `\n${r.differences.length} outcome difference(s):\n${r.differences.map((d) => `  ${d.orderId} ${d.field}: orchestration ${JSON.stringify(d.orchestration)}, events ${JSON.stringify(d.events)}`).join('\n')}`
      : `\nno outcome differences in ${r.orders.length} orders (timing fields ignored)`,
  );
  return lines.join('\n').trimStart();
}

function costRows(o: CostEstimate, e: CostEstimate): Array<[string, string, string]> {
  const items = [...new Set([...o.lines, ...e.lines].map((l) => l.what))];
  const cell = (c: CostEstimate, what: string) => {
    const line = c.lines.find((l) => l.what === what);
    return line ? `${fmt(line.count)} x $${line.unitUsd} = ${usd(line.usd)}` : '-';
  };
  return items.map((what) => [`  ${what}`, cell(o, what), cell(e, what)]);
}

function fmt(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}
