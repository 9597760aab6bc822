import { Flags } from '@oclif/core';
import { existsSync, readFileSync } from 'node:fs';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { ExpectationError, UserError } from '../../lib/errors.js';
import { parseUserJson } from '../../lib/json.js';
import { InvalidEventPatternError, matchesPattern, validatePattern } from '../../lib/events/pattern.js';

export default class TestPattern extends BaseCommand<typeof TestPattern> {
  static summary = 'Test whether an event matches an EventBridge event pattern, like `aws events test-event-pattern`.';
  static description = `Both values are JSON text or a path to a JSON file.\n\nEXIT CODES\n  0  the event matches\n  1  the event does not match\n  2  invalid pattern or event`;
  static examples = [
    `<%= config.bin %> events test-pattern --pattern '{"detail-type":["OrderPlaced"]}' --event event.json`,
    `<%= config.bin %> events test-pattern --pattern '{"detail":{"total":[{"numeric":[">",100]}]}}' --event '{"detail":{"total":120}}' --json`,
  ];
  static flags = {
    pattern: Flags.string({ summary: 'The event pattern (JSON text or file).', required: true }),
    event: Flags.string({ summary: 'The event (JSON text or file).', required: true }),
  };

  async run(): Promise<{ matches: boolean }> {
    const { flags } = await this.parse(TestPattern);
    const patternJson = readJsonArg(flags.pattern, '--pattern');
    const event = readJsonArg(flags.event, '--event');
    let pattern;
    try {
      pattern = validatePattern(patternJson);
    } catch (error) {
      if (error instanceof InvalidEventPatternError) throw new UserError(`--pattern: ${error.message}`);
      throw error;
    }
    const matches = matchesPattern(pattern, event);
    this.log(matches ? 'match' : 'no match');
    if (!matches) {
      this.errorData = { matches };
      throw new ExpectationError('--event does not match --pattern');
    }
    return { matches };
  }
}

function readJsonArg(value: string, flag: string): unknown {
  if (!value.trimStart().startsWith('{') && existsSync(value))
    return parseUserJson(readFileSync(value, 'utf8'), `${flag} ${value}`);
  return parseUserJson(value, flag);
}
