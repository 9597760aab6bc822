import { LOCAL_ACCOUNT_ID } from '../../src/lib/blueprint/naming.js';
import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { firstMismatch, orderPlacedEvent, testEventAgainstRules } from '../../src/lib/blueprint/rule-test.js';
import { matchesPattern } from '../../src/lib/events/pattern.js';
import { transformEventForTarget } from '../../src/lib/events/transformer.js';
import { orderFromFile } from '../../src/lib/order/from-input.js';
import { tempDir, templateProject, TEMPLATE } from '../helpers/cli.js';

const SAMPLES = readdirSync(join(TEMPLATE, 'orders')).filter((f) => f.endsWith('.json'));

describe('an event against every rule of the project', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  const blueprint = loadBlueprint(tmp.dir);
  const flow = blueprint.events!;
  afterAll(() => tmp.cleanup());

  it.each(SAMPLES)(
    '%s: the OrderPlaced the API would publish, checked against matchesPattern and the transformer',
    (file) => {
      const order = orderFromFile(join(tmp.dir, 'orders', file));
      const event = orderPlacedEvent(blueprint, order);
      expect(event).toMatchObject({
        version: '0',
        source: 'fulfill.api',
        'detail-type': 'OrderPlaced',
        account: '000000000000',
        region: 'eu-central-1',
        resources: [],
        detail: order,
      });
      const verdicts = testEventAgainstRules(flow, blueprint.names.inAccount(LOCAL_ACCOUNT_ID), event);
      expect(verdicts.map((v) => v.rule)).toEqual(flow.rules.map((r) => r.name));
      for (const [i, verdict] of verdicts.entries()) {
        const rule = flow.rules[i];
        expect(verdict.matched).toBe(matchesPattern(rule.pattern, event));
        if (verdict.matched) {
          const ctx = {
            ruleName: blueprint.names.resource(rule.name),
            ruleArn: blueprint.names.inAccount(LOCAL_ACCOUNT_ID).ruleArn(rule.name),
            ingestionTime: event.time as string,
          };
          expect(verdict.input).toEqual(transformEventForTarget(rule.inputTransformer, event, ctx));
          // The lesson's transformer: the target gets {"Input": <the order>}.
          expect(verdict.input).toEqual({ Input: order });
        } else {
          expect(verdict.mismatch!.field).toMatch(/^(source|detail-type)$/);
        }
      }
      expect(verdicts.filter((v) => v.matched).map((v) => v.rule)).toEqual(['authorize-payment']);
    },
  );

  it.each([
    ['1P', ['select-warehouse-1p']],
    ['3P', ['decide-fulfillment-3p']],
    ['2P', []],
  ])('SellerDetermined for a %s seller routes by content', (type, expected) => {
    const event = {
      version: '0',
      id: 'e1',
      source: 'fulfill.determine-seller',
      'detail-type': 'SellerDetermined',
      account: '0',
      time: '2026-01-01T00:00:00Z',
      region: 'eu-central-1',
      resources: [],
      detail: { orderId: 'o1', seller: { sellerId: 's', type } },
    };
    const verdicts = testEventAgainstRules(flow, blueprint.names.inAccount(LOCAL_ACCOUNT_ID), event);
    expect(verdicts.filter((v) => v.matched).map((v) => v.rule)).toEqual(expected);
    const other = verdicts.find((v) => v.rule === (type === '1P' ? 'decide-fulfillment-3p' : 'select-warehouse-1p'))!;
    expect(other.mismatch).toEqual({
      field: 'detail.seller.type',
      expected: [type === '1P' ? '3P' : '1P'],
      actual: type,
      present: true,
    });
  });

  it.each([
    ['an absent field', { a: ['x'] }, { b: 1 }, { field: 'a', expected: ['x'], present: false }],
    [
      'the first failing field in pattern order',
      { source: ['s'], 'detail-type': ['T'], detail: { n: [{ numeric: ['>', 5] }] } },
      { source: 's', 'detail-type': 'T', detail: { n: 3 } },
      { field: 'detail.n', expected: [{ numeric: ['>', 5] }], actual: 3, present: true },
    ],
    [
      'an $or with no branch matching',
      { detail: { $or: [{ a: ['1'] }, { b: ['2'] }] } },
      { detail: { a: '0', b: '0' } },
      { field: 'detail.$or', expected: [{ a: ['1'] }, { b: ['2'] }], actual: { a: '0', b: '0' }, present: true },
    ],
    [
      'a value inside an array in the event',
      { detail: { items: { sku: ['x'] } } },
      { detail: { items: [{ sku: 'a' }, { sku: 'b' }] } },
      { field: 'detail.items.sku', expected: ['x'], actual: ['a', 'b'], present: true },
    ],
  ])('why a pattern does not match: %s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(false);
    expect(firstMismatch(pattern, event as Record<string, unknown>)).toEqual(expected);
  });
});
