import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry } from '../../src/lib/logs/entry.js';
import { BIN, childEnv, envelope, jsonLines, ROOT, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess as runCli } from '../helpers/in-process.js';

describe('fulfill events test-pattern', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('exits 0 on a match, 1 on no match, 2 on an invalid pattern', async () => {
    const event = JSON.stringify({ 'detail-type': 'OrderPlaced', detail: { total: 120, seller: { type: '3P' } } });
    const match = await runCli(
      [
        'events',
        'test-pattern',
        '--pattern',
        '{"detail":{"total":[{"numeric":[">",100]}]}}',
        '--event',
        event,
        '--json',
      ],
      { cwd: tmp.dir },
    );
    expect(match.code).toBe(0);
    expect(envelope<{ matches: boolean }>(match).result.matches).toBe(true);
    const noMatch = await runCli(
      ['events', 'test-pattern', '--pattern', '{"detail":{"seller":{"type":["1P"]}}}', '--event', event],
      { cwd: tmp.dir },
    );
    expect(noMatch.code).toBe(1);
    expect(noMatch.stdout.trim()).toBe('no match');
    const invalid = await runCli(
      ['events', 'test-pattern', '--pattern', '{"detail":{"total":[{"numeric":[">"]}]}}', '--event', event],
      { cwd: tmp.dir },
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /^Error: --pattern: Event pattern is not valid\. Reason: "numeric" expects an array .* at detail\.total/,
    );
  });

  it('reads the pattern and the event from files', async () => {
    writeFileSync(join(tmp.dir, 'pattern.json'), '{"source":[{"prefix":"fulfill."}]}');
    writeFileSync(join(tmp.dir, 'event.json'), '{"source":"fulfill.api"}');
    expect(
      (await runCli(['events', 'test-pattern', '--pattern', 'pattern.json', '--event', 'event.json'], { cwd: tmp.dir }))
        .code,
    ).toBe(0);
  });

  it('exports the matcher from the package entry point', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const entry = await import(join(ROOT, pkg.exports['.']));
    expect(entry.matchesPattern({ source: ['a'] }, { source: 'a' })).toBe(true);
    expect(typeof entry.applyInputTransformer).toBe('function');
  });
});

describe('fulfill graph and cycle checks at deploy', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  afterAll(() => tmp.cleanup());

  it('draws mermaid by default, dot and json on request', async () => {
    const mermaid = await runCli(['graph'], { cwd: tmp.dir });
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain('flowchart LR');
    expect(mermaid.stdout).toContain('event_PaymentAuthorized --> rule_determine_seller');
    expect(mermaid.stdout).toContain('state_SellerType -->|"$.seller.type == 3P"| state_DecideFulfillment');
    const dot = await runCli(['graph', '--format', 'dot', '--only', 'events'], { cwd: tmp.dir });
    expect(dot.stdout).toMatch(/^digraph /);
    const json = envelope<{ nodes: unknown[]; cycles: unknown[] }>(await runCli(['graph', '--json'], { cwd: tmp.dir }));
    expect(json.result.cycles).toEqual([]);
    expect(json.result.nodes.length).toBeGreaterThan(20);
  }, 180_000); // three CLI runs: generous on a loaded two-core machine

  it('deploy refuses a flow with a cycle, naming it, unless --allow-cycles; graph exits 1', async () => {
    const file = join(tmp.dir, 'events.json');
    const flow = JSON.parse(readFileSync(file, 'utf8'));
    flow.rules.push({ name: 'reorder', pattern: { 'detail-type': ['OrderCompleted'] }, target: 'authorize-payment' });
    writeFileSync(file, JSON.stringify(flow));
    const refused = await runCli(['deploy'], { cwd: tmp.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^Error: events\.json: the event flow has a cycle: .*OrderCompleted -> rule reorder -> authorize-payment/,
    );
    const allowed = await runCli(['deploy', '--allow-cycles', '--json'], { cwd: tmp.dir });
    expect(allowed.code).toBe(0);
    expect(envelope(allowed).warnings.join()).toMatch(/cycle allowed by --allow-cycles/);
    const graph = await runCli(['graph', '--only', 'events'], { cwd: tmp.dir });
    expect(graph.code).toBe(1);
    expect(graph.stderr).toMatch(/cycle/);
  }, 180_000);

  it.each([
    [
      'an invalid pattern',
      (f: any) => (f.rules[0].pattern = { source: 'fulfill.api' }),
      /events\.json: "rules\[0\]" \(authorize-payment\)\.pattern: Event pattern is not valid\. Reason: the value of "source" must be an array/,
    ],
    [
      'an invalid transformer',
      (f: any) => (f.rules[0].inputTransformer = { InputTemplate: '{"Input": <nope>}' }),
      /inputTransformer: InputTemplate uses <nope>/,
    ],
    [
      'a target that is not a handler',
      (f: any) => (f.rules[0].target = 'charge-card'),
      /target "charge-card" is not a handler/,
    ],
  ])('deploy refuses %s with the reason', async (_name, mutate, reason) => {
    const dir = join(tmp.dir, `bad-${Math.random().toString(16).slice(2)}`);
    templateProject(dir, { mode: 'events' });
    const file = join(dir, 'events.json');
    const flow = JSON.parse(readFileSync(file, 'utf8'));
    mutate(flow);
    writeFileSync(file, JSON.stringify(flow));
    const run = await runCli(['deploy'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(reason);
  });
});

describe('fulfill logs --follow', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  afterAll(() => tmp.cleanup());

  it('prints entries other processes write, once each, until interrupted', async () => {
    expect((await runCli(['deploy'], { cwd: tmp.dir })).code).toBe(0);
    expect((await runCli(['send-order', '--order-id', 'before'], { cwd: tmp.dir })).code).toBe(0);
    const follow = spawn(process.execPath, [BIN, 'logs', '--follow', '--json', '--limit', '1'], {
      cwd: tmp.dir,
      env: childEnv(),
    });
    let out = '';
    follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => follow.once('exit', (code) => r(code)));
    // The backlog (the last entry of order "before") is printed once it follows: only then send more.
    for (let i = 0; i < 600 && !out.includes('"orderId":"before"'); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await runCli(['send-order', '--order-id', 'during-1'], { cwd: tmp.dir })).code).toBe(0);
    expect(
      (await runCli(['send-order', '--order-id', 'during-2', '--payment', 'giftCard'], { cwd: tmp.dir })).code,
    ).toBe(0);
    const done = /"orderId":"during-2",("execution":\d+,)?"source":"events","type":"OutcomeRecorded"/;
    for (let i = 0; i < 600 && !done.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    follow.kill('SIGINT');
    expect(await exited).toBe(0);
    const entries = jsonLines<LogEntry>(out);
    expect(entries.filter((e) => e.orderId === 'before')).toHaveLength(1); // --limit 1 of the backlog
    for (const id of ['during-1', 'during-2']) {
      const mine = entries.filter((e) => e.orderId === id && e.source !== 'function');
      expect(mine[0]).toMatchObject({ type: 'ApiRequestReceived' });
      expect(mine.some((e) => e.type === 'OutcomeRecorded')).toBe(true);
      const keys = mine.map((e) => `${e.source}:${e.id}`);
      expect(new Set(keys).size).toBe(keys.length); // never printed twice
    }
  }, 180_000);
});
