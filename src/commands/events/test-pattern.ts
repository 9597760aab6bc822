import { Flags } from '@oclif/core';
import { existsSync, readFileSync } from 'node:fs';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { ExitCode, UserError } from '../../lib/errors.js';
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
    if (!matches) process.exitCode = ExitCode.ExpectationNotMet;
    return { matches };
  }
}

function readJsonArg(value: string, flag: string): unknown {
  const text = !value.trimStart().startsWith('{') && existsSync(value) ? readFileSync(value, 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${flag}: not valid JSON and not a readable file (${(error as Error).message})`);
  }
}
