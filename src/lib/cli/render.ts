import type { LogEntry } from '../logs/entry.js';
import { causeMessage, type OrderOutcome } from '../order/outcome.js';
import type { DeployResult } from '../deploy/result.js';
import type { RedeployReport } from '../targets/target.js';
import { paint } from './style.js';
import { text } from '../json.js';

const money = (amount: number | null, currency: string | null | undefined) =>
  amount === null ? '-' : `${amount.toFixed(2)} ${currency ?? ''}`.trim();

/** The human view of an outcome document: the answer to each fulfillment question on its own line. */
export function renderOutcome(o: OrderOutcome): string {
  const ok = o.status === 'SUCCEEDED';
  const head = `${ok ? paint('green', '✔') : paint('red', '✖')} order ${paint('bold', o.orderId)} ${ok ? paint('green', o.status) : paint('red', o.status)}${o.durationMs !== null ? ` in ${o.durationMs} ms` : ''} (${o.mode})`;
  const lines = [head];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(9)} ${value}`);
  if (o.error) row('error', `${o.error.error}: ${o.error.cause}`);
  row(
    'payment',
    `${o.payment.instrument ?? '-'}, ${o.payment.authorized ? `authorized (${o.payment.authorizationId}, ${money(o.payment.amount, o.fee?.currency ?? o.invoices[0]?.currency)})` : 'not authorized'}`,
  );
  if (o.seller.type) row('seller', `${o.seller.sellerId} (${o.seller.type})`);
  if (o.fulfilledBy)
    row('ships', `fulfilled by ${o.fulfilledBy}${o.warehouse ? ` from warehouse ${o.warehouse}` : ''}`);
  if (o.fee)
    row(
      'fee',
      `${money(o.fee.amount, o.fee.currency)} (${(o.fee.rate * 100).toFixed(0)}% charged to ${o.seller.sellerId})`,
    );
  for (const [i, inv] of o.invoices.entries())
    row(
      i === 0 ? 'invoices' : '',
      `${inv.invoiceId} ${inv.type}: ${inv.issuer} -> ${inv.recipient} ${money(inv.amount, inv.currency)}`,
    );
  return lines.join('\n');
}

/** One log entry as one line: time, order, stream, type, name and the detail that matters for its type. */
export function renderLogEntry(e: LogEntry): string {
  const d = e.details ?? {};
  let extra = '';
  if (typeof d.error === 'string') extra = `${d.error}${d.cause ? `: ${shorten(causeMessage(text(d.cause)))}` : ''}`;
  else if (Array.isArray(d.rules)) extra = d.rules.length ? `-> ${d.rules.join(', ')}` : '(no rule matched)';
  else if (d.rule)
    extra = `rule ${text(d.rule)} -> ${text(d.target)}${d.attempt && Number(d.attempt) > 1 ? ` (attempt ${text(d.attempt)})` : ''}`;
  else if (typeof d.message === 'string') extra = shorten(d.message);
  else if (typeof d.status === 'string' || typeof d.statusCode === 'number') extra = String(d.status ?? d.statusCode);
  else if (typeof d.integration === 'string') extra = `-> ${d.integration}`;
  else if (e.type === 'EventPublished' && typeof d.source === 'string') extra = `from ${d.source}`;
  if (typeof d.durationMs === 'number') extra += ` ${d.durationMs} ms`;
  const type = /Failed|TimedOut|DeadLettered|Rejected/.test(e.type)
    ? paint('red', e.type)
    : /Succeeded/.test(e.type)
      ? paint('green', e.type)
      : e.type;
  return [paint('gray', e.timestamp), e.orderId, e.source.padEnd(9), type, e.name ?? '', extra.trim()]
    .filter((s) => s !== '')
    .join('  ');
}

export function renderDeployResult(r: DeployResult): string {
  const lines = [
    r.dryRun
      ? `plan for ${r.app}/${r.stage} (${r.mode}) on ${r.target} (dry run: nothing changed)`
      : `${paint('green', '✔')} deployed ${r.app}/${r.stage} (${r.mode}) to ${r.target}`,
  ];
  for (const c of r.changes) {
    const color = c.action === 'unchanged' ? 'gray' : c.action === 'deleted' ? 'yellow' : 'green';
    const action =
      r.dryRun && c.action !== 'unchanged'
        ? { created: 'create', updated: 'update', deleted: 'delete' }[c.action]
        : c.action;
    lines.push(
      `  ${paint(color, action.padEnd(9))} ${c.kind.padEnd(13)} ${c.resource}${c.why ? ` (${c.why.join(', ')})` : ''}`,
    );
  }
  lines.push(`  endpoint: ${r.endpoint}`);
  return lines.join('\n');
}

/**
 * `deploy --watch`: one line per redeploy, what changed and how long it took:
 * `✔ 14:02:03 redeployed in 84 ms: handlers/lib/rules.ts → updated fulfill-shop-dev-calculate-fee`.
 */
export function renderRedeploy(r: RedeployReport, error?: string): string {
  const time = new Date().toTimeString().slice(0, 8);
  const files =
    r.changed.length > 3 ? `${r.changed.slice(0, 3).join(', ')} +${r.changed.length - 3}` : r.changed.join(', ');
  const took = `${r.durationMs} ms`;
  if (error !== undefined)
    return `${paint('red', '✖', process.stderr)} ${time} ${files || 'watcher'}: ${error} (the stage keeps the last good deployment; ${took})`;
  if (r.changes.length === 0)
    return `${paint('gray', '·')} ${time} ${files}: nothing to redeploy, the deployment is the same (${took})`;
  const changes =
    r.changes.length > 3
      ? Object.entries(
          r.changes.reduce<Record<string, number>>((n, c) => ({ ...n, [c.action]: (n[c.action] ?? 0) + 1 }), {}),
        )
          .map(([action, count]) => `${action} ${count}`)
          .join(', ')
      : r.changes.map((c) => `${c.action} ${c.resource}`).join(', ');
  return `${paint('green', '✔')} ${time} redeployed ${r.mode} in ${took}: ${files} → ${changes}`;
}

/** `status`: each resource and whether it matches what `deploy` would create. */
export function renderResourceStates(resources: DeployResult['changes'], width = 46): string[] {
  return resources.map((r) => {
    const state =
      r.action === 'unchanged'
        ? paint('green', 'in sync')
        : paint(
            'yellow',
            `${r.action === 'created' ? 'missing' : r.action === 'deleted' ? 'extra' : 'differs'}${r.why ? ` (${r.why.join(', ')})` : ''}`,
          );
    return `  ${r.kind.padEnd(13)} ${r.resource.padEnd(width)} ${state}`;
  });
}

function shorten(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
