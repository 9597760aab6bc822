import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envelope, runCli as runSubprocess, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess as runCli } from '../helpers/in-process.js';
import { hasGraphviz, parseMermaid, runDot, stopMermaidParser } from '../helpers/parsers.js';

// The commands run in process (graph and deploy need no separate process); Mermaid's parser runs in one child
// process for the file. On a loaded two-core machine that child's start can take many seconds.
jest.setTimeout(240_000);
afterAll(() => stopMermaidParser());

const graphviz = hasGraphviz();
const itDot = graphviz ? it : it.skip;

function editFlow(dir: string, mutate: (flow: any) => void) {
  const file = join(dir, 'events.json');
  const flow = JSON.parse(readFileSync(file, 'utf8'));
  mutate(flow);
  writeFileSync(file, JSON.stringify(flow, null, 2));
}

describe('fulfill graph: one valid document in every format', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  // A second project whose flow has a cycle, a rule that can never match and a dead end: every highlight is drawn.
  const bad = tempDir();
  templateProject(bad.dir, { mode: 'events' });
  editFlow(bad.dir, (flow) => {
    flow.rules.push({ name: 'reorder', pattern: { 'detail-type': ['OrderCompleted'] }, target: 'authorize-payment' });
    flow.rules.push({
      name: 'never',
      pattern: { source: ['fulfill.nobody'], 'detail-type': ['PaymentAuthorized'] },
      target: 'notify-customer',
    });
  });
  afterAll(() => {
    tmp.cleanup();
    bad.cleanup();
  });

  it('mermaid (default): Mermaid 11 parses it as one flowchart with both wirings as subgraphs', async () => {
    const run = await runCli(['graph'], { cwd: tmp.dir });
    expect(run.code).toBe(0);
    expect(await parseMermaid(run.stdout)).toEqual({ ok: true, diagramType: 'flowchart-v2' });
    expect(run.stdout.match(/^flowchart /gm)).toHaveLength(1);
    expect(run.stdout).toContain('subgraph events_flow["event flow (events.json)"]');
    expect(run.stdout).toContain('subgraph orchestration_flow["state machine (workflow.asl.json)"]');
    // The 1P/3P content filters and the producers' conditions are edge labels.
    expect(run.stdout).toContain('event_SellerDetermined -->|"seller.type = 1P"| rule_select_warehouse_1p');
    expect(run.stdout).toContain('event_SellerDetermined -->|"seller.type = 3P"| rule_decide_fulfillment_3p');
    expect(run.stdout).toContain('function_notify_customer -->|"when error.Error exists"| event_OrderFailed');
    expect(run.stdout).toContain('state_SellerType -->|"$.seller.type == 3P"| state_DecideFulfillment');
    // The documented dead end is marked and warned about.
    expect(run.stdout).toContain('event_CustomerNotified(["CustomerNotified [dead end]"])');
    expect(run.stdout).toContain('class event_CustomerNotified warning');
    expect(run.stderr).toMatch(/Warning: EVENT_DEAD_END: event CustomerNotified/);
  });

  it('the parser is not a rubber stamp: two diagrams back to back (the old output) are rejected', async () => {
    const run = await runCli(['graph'], { cwd: tmp.dir });
    expect((await parseMermaid(`${run.stdout}\n${run.stdout}`)).ok).toBe(false);
  });

  it('mermaid with a cycle and findings highlighted still parses (exit 1 for the errors)', async () => {
    const run = await runCli(['graph'], { cwd: bad.dir });
    expect(run.code).toBe(1);
    expect(await parseMermaid(run.stdout)).toEqual({ ok: true, diagramType: 'flowchart-v2' });
    expect(run.stdout).toMatch(/^ {2}linkStyle [\d,]+ stroke:#cc0000,stroke-width:3px$/m);
    expect(run.stdout).toContain('rule_never{{"never [never matches]"}}');
    expect(run.stdout).toMatch(/^ {2}class .*rule_never.* error$/m);
    expect(run.stderr).toMatch(/^Error: events\.json: the event flow has a cycle: /m);
  });

  itDot('dot: Graphviz renders it as one SVG with both clusters, no warnings', async () => {
    const run = await runCli(['graph', '--format', 'dot'], { cwd: tmp.dir });
    expect(run.code).toBe(0);
    const svg = runDot(run.stdout);
    expect(svg.status).toBe(0);
    expect(svg.stderr).toBe('');
    expect(svg.stdout.match(/<svg /g)).toHaveLength(1);
    expect(svg.stdout.match(/class="cluster"/g)).toHaveLength(2);
    expect(run.stdout.match(/^digraph /gm)).toHaveLength(1);
    const bad2 = runDot(`${run.stdout}\n${run.stdout}`, 'svg');
    // Two roots are what the old output produced: dot writes two SVG documents.
    expect(bad2.stdout.match(/<svg /g)).toHaveLength(2);
  });

  itDot('dot with the cycle highlighted renders, and --format svg|png render through dot', async () => {
    const dot = await runCli(['graph', '--format', 'dot'], { cwd: bad.dir });
    expect(dot.code).toBe(1);
    const svg = runDot(dot.stdout);
    expect([svg.status, svg.stderr]).toEqual([0, '']);
    expect(dot.stdout).toMatch(/"event:OrderCompleted" -> "rule:reorder" \[color="#cc0000", penwidth=3\]/);
    const asSvg = await runCli(['graph', '--format', 'svg'], { cwd: tmp.dir });
    expect(asSvg.code).toBe(0);
    expect(asSvg.stdout).toMatch(/^<\?xml/);
    expect(asSvg.stdout.match(/<svg /g)).toHaveLength(1);
    const png = join(tmp.dir, 'flow.png');
    expect((await runCli(['graph', '--format', 'png', '-o', png], { cwd: tmp.dir })).code).toBe(0);
    expect(readFileSync(png).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  });

  it('--format svg without Graphviz: one line naming what to install, exit 2', async () => {
    // A subprocess: jest gives the test its own copy of process.env, which the product's spawn of dot never sees.
    const run = await runSubprocess(['graph', '--format', 'svg'], { cwd: tmp.dir, env: { PATH: '/nonexistent' } });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      'Error: --format svg needs Graphviz\'s "dot" on PATH: install graphviz (apt-get install graphviz, brew install graphviz)',
    );
    expect(run.stdout).toBe('');
  });

  it('json: one document JSON.parse accepts, with groups, nodes, edges, cycles and the check', async () => {
    const run = await runCli(['graph', '--format', 'json'], { cwd: tmp.dir });
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.groups.map((g: { id: string }) => g.id)).toEqual(['events', 'orchestration']);
    expect(doc.cycles).toEqual([]);
    expect(doc.nodes.length).toBeGreaterThan(30);
    expect(doc.check.findings.map((f: { code: string }) => f.code)).toEqual(['EVENT_DEAD_END']);
    const envelopeJson = envelope<{ groups: unknown[] }>(await runCli(['graph', '--json'], { cwd: tmp.dir }));
    expect(envelopeJson.status).toBe(0);
    expect(envelopeJson.result.groups).toHaveLength(2);
    expect(envelopeJson.warnings.join()).toMatch(/EVENT_DEAD_END/);
  });

  it('--only draws one wiring; an orchestration-only project draws the state machine alone', async () => {
    const only = await runCli(['graph', '--only', 'orchestration'], { cwd: tmp.dir });
    expect(only.code).toBe(0);
    expect((await parseMermaid(only.stdout)).ok).toBe(true);
    expect(only.stdout).not.toContain('events_flow');
    expect(only.stderr).toBe('');
  });
});

describe('fulfill graph --check and the deploy-time flow check', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  afterAll(() => tmp.cleanup());

  it('the default project: only the documented dead end, and the fan-out widths; exit 0', async () => {
    const run = await runCli(['graph', '--check'], { cwd: tmp.dir });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      'warning EVENT_DEAD_END      event CustomerNotified (published by notify-customer) is consumed by no rule and is not a terminal outcome',
    );
    expect(run.stdout).toMatch(/PaymentAuthorized +width 2 +confirm-payment, determine-seller/);
    expect(run.stdout).toMatch(/SellerDetermined +width 1 +select-warehouse-1p, decide-fulfillment-3p/);
    const json = envelope<{ check: { findings: Array<{ code: string; severity: string }> } }>(
      await runCli(['graph', '--check', '--json'], { cwd: tmp.dir }),
    );
    expect(json.result.check.findings).toEqual([
      expect.objectContaining({ code: 'EVENT_DEAD_END', severity: 'warning' }),
    ]);
  });

  it('deploy prints warnings, refuses an unsatisfiable rule naming it, and --allow-flow-errors overrides', async () => {
    const ok = await runCli(['deploy', '--json'], { cwd: tmp.dir });
    expect(ok.code).toBe(0);
    expect(envelope(ok).warnings).toEqual([expect.stringMatching(/^EVENT_DEAD_END: event CustomerNotified/)]);
    editFlow(tmp.dir, (flow) =>
      flow.rules.push({
        name: 'audit-failed',
        pattern: { 'detail-type': ['PaymentFailed'], detail: { error: { Error: ['CardExpired'] } } },
        target: 'notify-customer',
      }),
    );
    const refused = await runCli(['deploy'], { cwd: tmp.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(
      'Error: events.json: rule audit-failed can never match: its pattern contradicts what functions.authorize-payment.onError[0] declares for PaymentFailed',
    );
    const check = await runCli(['graph', '--check', '--json'], { cwd: tmp.dir });
    expect(check.code).toBe(1);
    expect(envelope(check).status).toBe(1);
    const allowed = await runCli(['deploy', '--allow-flow-errors', '--json'], { cwd: tmp.dir });
    expect(allowed.code).toBe(0);
    expect(envelope(allowed).warnings.join('\n')).toMatch(
      /^RULE_UNSATISFIABLE allowed by --allow-flow-errors: rule audit-failed can never match/m,
    );
  });
});
