import type { IamCheckReport } from './check.js';

/** The human view of an iam check: what would be denied, what is granted and unused, each with its statement. */
export function renderIamCheck(r: IamCheckReport): string {
  const statuses = new Map<string, number>();
  for (const o of r.orders) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
  const calls = r.roles.reduce((n, role) => n + role.calls.length, 0);
  const lines = [
    `iam check: ${r.app}/${r.stage} (${r.mode}, ${r.region}): ${r.orders.length} order(s) (${[...statuses]
      .map(([status, n]) => `${n} ${status.toLowerCase()}`)
      .join(
        ', ',
      )}), ${calls} distinct call(s) checked against ${r.roles.length} polic${r.roles.length === 1 ? 'y' : 'ies'}`,
  ];
  for (const o of r.orders.filter((o) => o.error)) lines.push(`  order ${o.orderId} (${o.origin}): ${o.error}`);
  if (r.missing.length > 0) {
    lines.push('', `missing: ${r.missing.length} call(s) would be denied on AWS`);
    for (const m of r.missing) {
      lines.push(`  ${m.by}: ${m.action} on ${m.resource} (${m.role})`);
      lines.push(`    statement to add: ${JSON.stringify(m.statement)}`);
      lines.push(`    ${m.fix}`);
    }
  }
  const unused = r.unused.filter((u) => u.reason === 'unused');
  if (unused.length > 0) {
    lines.push('', `unused: ${unused.length} permission(s) granted but not called by these orders`);
    for (const u of unused) {
      lines.push(`  ${u.role}${u.sid ? ` ${u.sid}` : ''}: ${u.action} on ${u.resource}`);
      lines.push(`    statement to remove: ${JSON.stringify(u.statement)}`);
      lines.push(`    ${u.fix}`);
    }
  }
  const kept = r.unused.filter((u) => u.reason !== 'unused');
  if (kept.length > 0) {
    const sids = [...new Set(kept.map((u) => u.sid ?? u.action))].join(', ');
    lines.push('', `not shown by a local run: ${kept.length} permission(s) (${sids}): AWS's own use, or failures only`);
  }
  const unfinished = r.orders.filter((o) => o.status === 'NO_OUTCOME').length;
  const saved = `saved in ${r.savedIn} for deploy --target aws`;
  lines.push(
    '',
    r.missing.length > 0
      ? `failed: ${r.missing.length} missing permission(s); ${saved}`
      : unfinished > 0
        ? `incomplete: ${unfinished} order(s) got no outcome, the calls seen are allowed; ${saved}`
        : `passed: every call is allowed (${unused.length} unused); ${saved}`,
  );
  return lines.join('\n');
}
