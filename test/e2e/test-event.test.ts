import { LOCAL_ACCOUNT_ID } from '../../src/lib/blueprint/naming.js';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import type { RuleVerdict } from '../../src/lib/blueprint/rule-test.js';
import { matchesPattern } from '../../src/lib/events/pattern.js';
import { transformEventForTarget } from '../../src/lib/events/transformer.js';
import { envelope, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess as runCli } from '../helpers/in-process.js';

// Each test runs the CLI several times; on a loaded two-core machine one run can take many seconds.
jest.setTimeout(240_000);

interface Result {
  event: Record<string, unknown>;
  matched: string[];
  rules: RuleVerdict[];
  addedEnvelopeFields: string[];
}

describe('fulfill events test-event and test-transformer', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  const blueprint = loadBlueprint(tmp.dir);
  afterAll(() => tmp.cleanup());

  it.each(['credit-card-1p.json', 'credit-card-3p.json', 'gift-card.json'])(
    '--order orders/%s: verdicts agree with matchesPattern and the transformer',
    async (file) => {
      const run = await runCli(['events', 'test-event', '--order', `orders/${file}`, '--json'], { cwd: tmp.dir });
      expect(run.code).toBe(0);
      const body = envelope<Result>(run);
      expect(body.status).toBe(0);
      const { event, rules } = body.result;
      const order = JSON.parse(readFileSync(join(tmp.dir, 'orders', file), 'utf8'));
      expect(event).toMatchObject({ source: 'fulfill.api', 'detail-type': 'OrderPlaced', detail: order });
      for (const rule of blueprint.events!.rules) {
        const verdict = rules.find((r) => r.rule === rule.name)!;
        expect(verdict.matched).toBe(matchesPattern(rule.pattern, event));
        if (verdict.matched) {
          const ctx = {
            ruleName: blueprint.names.resource(rule.name),
            ruleArn: blueprint.names.inAccount(LOCAL_ACCOUNT_ID).ruleArn(rule.name),
            ingestionTime: event.time as string,
          };
          expect(verdict.input).toEqual(transformEventForTarget(rule.inputTransformer, event, ctx));
        }
      }
      expect(body.result.matched).toEqual(['authorize-payment']);
    },
  );

  it('human output: matches with the target input, the others with the first failing field', async () => {
    writeFileSync(
      join(tmp.dir, 'seller.json'),
      JSON.stringify({
        source: 'fulfill.determine-seller',
        'detail-type': 'SellerDetermined',
        detail: { orderId: 'o-1', seller: { type: '3P' } },
      }),
    );
    const run = await runCli(['events', 'test-event', '--event', 'seller.json'], { cwd: tmp.dir });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      'event "SellerDetermined" from "fulfill.determine-seller": 1 of 8 rules match (envelope fields added: version, id, account, time, region, resources)',
    );
    expect(lines).toContain('  no match  select-warehouse-1p: detail.seller.type is "3P", pattern wants ["1P"]');
    expect(lines).toContain('  match     decide-fulfillment-3p -> decide-fulfillment (input transformer applied)');
    expect(lines).toContain('            input: {"Input":{"orderId":"o-1","seller":{"type":"3P"}}}');
  });

  it('exit 1 with the verdicts in the envelope when no rule matches; exit 2 on bad input', async () => {
    const none = await runCli(
      [
        'events',
        'test-event',
        '--event',
        '{"source":"fulfill.api","detail-type":"OrderShipped","detail":{}}',
        '--json',
      ],
      { cwd: tmp.dir },
    );
    expect(none.code).toBe(1);
    const body = envelope(none);
    expect(body.status).toBe(1);
    expect(body.error!.message).toBe('no rule of events.json matches the event ("OrderShipped" from "fulfill.api")');
    const data = body.error!.data as Result;
    expect(data.matched).toEqual([]);
    expect(data.rules.find((r) => r.rule === 'authorize-payment')!.mismatch).toEqual({
      field: 'detail-type',
      expected: ['OrderPlaced'],
      actual: 'OrderShipped',
      present: true,
    });
    for (const [args, message] of [
      [['--event', '[1, 2]'], /^Error: --event: the event must be a JSON object/],
      [['--event', 'missing.json'], /^Error: --event: "missing\.json" is neither JSON nor a readable file/],
      [['--event', '{"source":'], /^Error: --event: not valid JSON/],
      [[], /^Error: pass exactly one of --event and --order/],
    ] as const) {
      const bad = await runCli(['events', 'test-event', ...args], { cwd: tmp.dir });
      expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([2, expect.stringMatching(message)]);
    }
  });

  it("test-transformer: a rule's transformer on a sample order, a given text template, and an invalid one", async () => {
    const rule = await runCli(
      ['events', 'test-transformer', '--rule', 'authorize-payment', '--order', 'orders/gift-card.json', '--json'],
      { cwd: tmp.dir },
    );
    expect(rule.code).toBe(0);
    const order = JSON.parse(readFileSync(join(tmp.dir, 'orders', 'gift-card.json'), 'utf8'));
    expect(envelope<{ input: unknown; text: string }>(rule).result.input).toEqual({ Input: order });
    const text = await runCli(
      [
        'events',
        'test-transformer',
        '--transformer',
        '{"InputPathsMap":{"id":"$.detail.orderId"},"InputTemplate":"\\"order <id> via <aws.events.rule-name>\\""}',
        '--order',
        'orders/gift-card.json',
      ],
      { cwd: tmp.dir },
    );
    expect(text.code).toBe(0);
    expect(text.stdout.trim()).toBe(`"order ${order.orderId} via fulfill-test-shop-test-test-transformer"`);
    const invalid = await runCli(
      ['events', 'test-transformer', '--transformer', '{"InputTemplate":"<nope>"}', '--order', 'orders/gift-card.json'],
      { cwd: tmp.dir },
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.split('\n')[0]).toMatch(
      /^Error: --transformer: InputTemplate uses <nope>, which InputPathsMap does not define/,
    );
    const unknown = await runCli(['events', 'test-transformer', '--rule', 'nope', '--order', 'orders/gift-card.json'], {
      cwd: tmp.dir,
    });
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([
      2,
      'Error: --rule nope: no such rule in events.json',
    ]);
  });
});
