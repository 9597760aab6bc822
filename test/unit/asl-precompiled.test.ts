import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, TEMPLATE } from '../helpers/cli.js';

// The CLI (and, through jest.config.js, the tests) validate state machines with the asl-validator bundle that
// scripts/vendor.js builds, its JSON schemas compiled ahead of time (scripts/asl-precompiled.js). It must say
// exactly what the installed asl-validator says: the same verdict and the same errors, for valid definitions and
// for each kind of mistake its checks find.
type Validate = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: unknown[]; errorsText: (separator?: string) => string };

const require = createRequire(import.meta.url);
const BUNDLE = join(ROOT, 'dist/vendor/asl-validator.cjs');
const installed = require(join(ROOT, 'node_modules/asl-validator/dist/src/validator.js')) as Validate;

const template = () => {
  const text = readFileSync(join(TEMPLATE, 'workflow.asl.json'), 'utf8');
  return JSON.parse(text.replace(/\$\{function:([a-z-]+)\}/g, 'arn:aws:lambda:eu-central-1:123456789012:function:$1'));
};
/** The template's definition changed by `change`. */
const changed = (change: (d: any) => void) => {
  const definition = template();
  change(definition);
  return definition;
};
/** The template with a first state "Extra" (a Pass unless `extra` says otherwise) before its own first state. */
const pass = (extra: Record<string, unknown>) =>
  changed((d) => {
    d.States.Extra = { Type: 'Pass', Next: d.StartAt, ...extra };
    d.StartAt = 'Extra';
  });

// One case per check asl-validator makes, each kind of format the schemas name, and a valid definition: the installed
// package compiles its schemas again on every call (0.5-1 s of CPU each), so the list stays short.
const CASES: Array<[string, unknown]> = [
  ['the template (valid)', template()],
  ['a JSONata state (valid)', pass({ QueryLanguage: 'JSONata', Output: '{% $states.input.order %}' })],
  [
    'a ResultPath that is no path (asl_result_path)',
    changed((d) => (d.States.AuthorizePayment.ResultPath = 'payment')),
  ],
  ['a Parameters path that is no path (asl_payload_template)', pass({ Parameters: { 'a.$': 'not a path' } })],
  [
    'a Wait Timestamp that is no date (date-time)',
    changed((d) => (d.States.AuthorizePayment = { Type: 'Wait', Timestamp: 'soon', Next: 'NotifyCustomer' })),
  ],
  ['a JSONata state with a bad expression (jsonata_string)', pass({ QueryLanguage: 'JSONata', Output: '{% $$$ ( %}' })],
  [
    'Next names no state, inside a Parallel branch',
    pass({ Type: 'Parallel', Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', Next: 'Nowhere' } } }] }),
  ],
  [
    'a Wait with Seconds and SecondsPath',
    changed(
      (d) => (d.States.AuthorizePayment = { Type: 'Wait', Seconds: 1, SecondsPath: '$.s', Next: 'NotifyCustomer' }),
    ),
  ],
];
const expected = new Map<unknown, ReturnType<Validate>>();
const installedVerdict = (definition: unknown) => {
  if (!expected.has(definition)) expected.set(definition, installed(structuredClone(definition)));
  return expected.get(definition)!;
};

describe('the precompiled asl-validator', () => {
  it('is built (npm run build writes dist/vendor/asl-validator.cjs)', () => {
    expect(existsSync(BUNDLE)).toBe(true);
  });

  // Loaded on first use, so that a missing build fails the test above, not the whole file.
  const precompiled = () => require(BUNDLE) as Validate;

  it('is what asl-validator resolves to in the tests, as in the built CLI', () => {
    expect(require('asl-validator')).toBe(precompiled());
  });

  it.each(CASES)('gives the installed asl-validator’s verdict and errors: %s', (_name, definition) => {
    const expected = installedVerdict(definition);
    const actual = precompiled()(structuredClone(definition));
    expect({ isValid: actual.isValid, errors: actual.errors }).toEqual({
      isValid: expected.isValid,
      errors: expected.errors,
    });
    expect(actual.errorsText('; ')).toBe(expected.errorsText('; '));
  });

  it('covers valid and invalid definitions, and errors from the schemas and from the other checks', () => {
    const verdicts = CASES.map(([, definition]) => installedVerdict(definition));
    expect(verdicts.filter((v) => v.isValid)).toHaveLength(2);
    const codes = new Set(verdicts.flatMap((v) => v.errors.map((e) => (e as Record<string, string>)['Error code'])));
    expect(codes.has('SCHEMA_VALIDATION_FAILED')).toBe(true);
    expect(codes.size).toBeGreaterThanOrEqual(3);
    // Each invalid case fails for its own reason.
    expect(new Set(verdicts.filter((v) => !v.isValid).map((v) => v.errorsText())).size).toBe(CASES.length - 2);
  });

  it('honours the options that turn the path and ARN checks off', () => {
    const definition = changed((d) => {
      d.States.AuthorizePayment.Resource = 'authorize-payment';
      d.States.AuthorizePayment.ResultPath = 'payment';
    });
    // (What the installed package says here, without compiling its schemas twice more: valid, then invalid.)
    expect(precompiled()(structuredClone(definition), { checkPaths: false, checkArn: false }).isValid).toBe(true);
    // And the formats of one call do not leak into the next.
    expect(precompiled()(structuredClone(definition)).isValid).toBe(false);
  });
});
