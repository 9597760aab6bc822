import { describe, expect, it } from '@jest/globals';
import {
  applyInputTransformer,
  transformEventForTarget,
  validateInputTransformer,
} from '../../../src/lib/events/transformer.js';
import { guideEvent, guidePaths, guideRule, inputTransformCases } from './input-transform.cases.js';

describe('input transformer conformance: the User Guide examples and predefined variables', () => {
  it.each(inputTransformCases.map((c) => [c.row, c] as const))('%s', (_row, c) => {
    const transformer = validateInputTransformer({ InputPathsMap: guidePaths, InputTemplate: c.template });
    const delivered = applyInputTransformer(transformer, guideEvent, guideRule);
    if (c.text !== undefined) expect(delivered).toBe(c.text);
    if (c.json !== undefined) {
      expect(JSON.parse(delivered)).toEqual(c.json);
      expect(transformEventForTarget(transformer, guideEvent, guideRule)).toEqual(c.json);
    }
  });

  it('covers every row of the guide table and every predefined variable', () => {
    const rows = inputTransformCases.map((c) => c.row);
    expect(rows).toEqual(
      expect.arrayContaining([
        'Simple string',
        'String with escaped quotes',
        'Simple JSON',
        'JSON with strings and variables',
        'JSON with a mix of variables and static information',
        'Including reserved variables in JSON',
        'Including reserved variables in a string',
        'Amazon CloudWatch log group',
        'aws.events.rule-arn',
        'aws.events.rule-name',
        'aws.events.event.ingestion-time',
        'aws.events.event',
        'aws.events.event.json',
      ]),
    );
  });
});
