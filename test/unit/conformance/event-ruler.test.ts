import { describe, expect, it } from '@jest/globals';
import { InvalidEventPatternError, matchesPattern, validatePattern } from '../../../src/lib/events/pattern.js';
import { eventRulerCases, type ConformanceCase } from './event-ruler.cases.js';

// Every rule/event pair of aws/event-ruler's test suite (see event-ruler.cases.ts), run through our matcher.

const asPattern = (pattern: unknown): Record<string, unknown> =>
  typeof pattern === 'string' ? validatePattern(pattern) : (pattern as Record<string, unknown>);
const asEvent = (event: unknown): unknown => (typeof event === 'string' ? JSON.parse(event) : event);
const patternText = (pattern: unknown): string => (typeof pattern === 'string' ? pattern : JSON.stringify(pattern));
const title = (c: ConformanceCase): string => `${c.source}: ${patternText(c.pattern)}`;

const matching = eventRulerCases.filter((c) => c.expect === 'match' || c.expect === 'no-match');
const compiling = eventRulerCases.filter((c) => c.expect === 'valid' || c.expect === 'invalid');

describe('event-ruler conformance: rule/event pairs', () => {
  it.each(matching.map((c) => [title(c), c] as const))('%s', (_title, c) => {
    expect(matchesPattern(asPattern(c.pattern), asEvent(c.event))).toBe(c.expect === 'match');
  });
});

describe('event-ruler conformance: patterns PutRule accepts or refuses', () => {
  it.each(compiling.map((c) => [title(c), c] as const))('%s', (_title, c) => {
    if (c.expect === 'valid') {
      expect(() => validatePattern(c.pattern)).not.toThrow();
    } else {
      expect(() => validatePattern(c.pattern)).toThrow(InvalidEventPatternError);
    }
  });
});

describe('the conformance table', () => {
  it('cites a test class and method for every case', () => {
    const classes = [
      'RulerTest',
      'MachineTest',
      'ACMachineTest',
      'GenericMachineTest',
      'AnythingButSharedDeleteTest',
      'JsonRuleCompilerTest',
      'CIDRTest',
    ];
    const cited = new RegExp(`^(${classes.join('|')})\\.\\w+|^EventBridge User Guide`);
    for (const c of eventRulerCases) expect(c.source).toMatch(cited);
  });

  it('holds both outcomes of each kind', () => {
    const count = (kind: ConformanceCase['expect']) => eventRulerCases.filter((c) => c.expect === kind).length;
    expect(count('match')).toBeGreaterThan(100);
    expect(count('no-match')).toBeGreaterThan(100);
    expect(count('valid')).toBeGreaterThan(40);
    expect(count('invalid')).toBeGreaterThan(80);
  });
});
