import { describe, expect, it } from '@jest/globals';
import { describeError, parseErrorLine } from '../../../src/lib/cli/base-command.js';
import { durationMs, parseDuration, parseSince } from '../../../src/lib/duration.js';
import { AwsServiceError, ExpectationError, TimeoutError, UserError } from '../../../src/lib/errors.js';
import { parseUserJson, safeJson } from '../../../src/lib/json.js';

describe('one duration grammar', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['120', 120_000],
    [' 3s ', 3000],
  ])('%p is %p ms', (text, ms) => expect(durationMs(text)).toBe(ms));

  it.each([['2 s'], ['1x'], [''], ['-1s'], ['s'], ['1h30m']])('%p is not a duration', (text) =>
    expect(durationMs(text)).toBeUndefined(),
  );

  it('names the flag and the minimum', () => {
    expect(() => parseDuration('soon', '--timeout')).toThrow(
      /^--timeout must be a duration such as 500ms, 2s, 1m or 1h .*\(got "soon"\)$/,
    );
    expect(() => parseDuration('0', '--timeout', 1)).toThrow(/--timeout must be at least 1 ms/);
  });

  it('--since takes a duration back from now or an ISO time', () => {
    expect(parseSince('10m', 1_000_000)).toBe(1_000_000 - 600_000);
    expect(parseSince('2026-01-01T00:00:00Z')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(() => parseSince('yesterday')).toThrow(/--since must be a duration/);
  });
});

describe('who is at fault decides the exit code', () => {
  it.each([
    [new UserError('bad'), 2],
    [new ExpectationError('unmet'), 1],
    [new AwsServiceError('lambda', 'CreateFunction', 'AccessDenied'), 3],
    [new TimeoutError('slow'), 4],
    [new TypeError('x is undefined'), 70],
    [Object.assign(new Error('Throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }), 3],
    [Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' }), 2],
  ])('%p -> %p', (error, exit) => expect(describeError(error).exit).toBe(exit));

  it('an AWS service error names the service and the operation', () => {
    expect(new AwsServiceError('sfn', 'StartExecution', 'ExecutionLimitExceeded').message).toBe(
      'AWS sfn StartExecution: ExecutionLimitExceeded',
    );
  });

  it('a bug keeps its class name and one line', () => {
    const described = describeError(
      new TypeError("Cannot read properties of undefined (reading 'x')\n    at f (a.js:1:1)"),
    );
    expect(described.message).toBe("internal error: TypeError: Cannot read properties of undefined (reading 'x')");
  });

  it.each([
    [
      'Parsing --count \n\tExpected an integer greater than or equal to 1 but received: 0\nSee more help with --help',
      '--count: Expected an integer greater than or equal to 1 but received: 0',
    ],
    [
      'Parsing --timeout \n\t--timeout must be a duration (got "1x")\nSee more help with --help',
      '--timeout must be a duration (got "1x")',
    ],
    ['Nonexistent flag: --fast\nSee more help with --help', 'Nonexistent flag: --fast'],
    [
      'The following error occurred:\n  Missing required flag event\nSee more help with --help',
      'Missing required flag event',
    ],
  ])('oclif parse errors keep their reason: %p', (message, line) => expect(parseErrorLine(message)).toBe(line));
});

describe('JSON from users and peers', () => {
  it('accepts a UTF-8 byte-order mark', () => expect(parseUserJson('\uFEFF{"a":1}', 'f.json')).toEqual({ a: 1 }));
  it('names the file on a syntax error, in one line', () =>
    expect(() => parseUserJson('{', 'f.json')).toThrow(/^f\.json: not valid JSON \([^\n]+\)$/));
  it('safeJson returns the text when it is not JSON', () => expect(safeJson('oops')).toBe('oops'));
});
