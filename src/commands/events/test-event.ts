import { LOCAL_ACCOUNT_ID } from '../../lib/blueprint/naming.js';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { stageFlags } from '../../lib/cli/flags.js';
import { loadBlueprint } from '../../lib/blueprint/blueprint.js';
import {
  completeEnvelope,
  orderPlacedEvent,
  readJsonArgument,
  testEventAgainstRules,
  type RuleVerdict,
} from '../../lib/blueprint/rule-test.js';
import { ExpectationError, UserError } from '../../lib/errors.js';
import { orderFromFile } from '../../lib/order/from-input.js';

interface TestEventResult {
  event: Record<string, unknown>;
  /** Envelope fields fulfill added because the event did not have them (EventBridge adds them on PutEvents). */
  addedEnvelopeFields: string[];
  matched: string[];
  rules: RuleVerdict[];
}

export default class TestEvent extends BaseCommand<typeof TestEvent> {
  static summary =
    "Test an event against every rule of the project's events.json: which match, why the others don't, what each target receives.";
  static description = `The event is JSON text or a file (--event), or the OrderPlaced event the API would publish for a sample order (--order). Missing envelope fields (version, id, account, time, region, resources) are filled as EventBridge fills them on PutEvents. For each rule: matched, with the exact input its target receives after the rule's input transformer; or not matched, with the first field of the pattern that fails.

EXIT CODES
  0  at least one rule matches
  1  no rule matches
  2  bad input (event, order file, events.json)`;
  static examples = [
    '<%= config.bin %> events test-event --order orders/credit-card-3p.json',
    `<%= config.bin %> events test-event --event '{"source":"fulfill.determine-seller","detail-type":"SellerDetermined","detail":{"seller":{"type":"3P"}}}'`,
    '<%= config.bin %> events test-event --event event.json --json',
  ];
  static flags = {
    ...stageFlags,
    event: Flags.string({ summary: 'The event (JSON text or file).' }),
    order: Flags.string({ summary: 'An order file: test the OrderPlaced event the API would publish for it.' }),
  };

  async run(): Promise<TestEventResult> {
    const { flags } = await this.parse(TestEvent);
    if (!flags.event === !flags.order)
      throw new UserError('pass exactly one of --event and --order', ['See --help for examples.']);
    const blueprint = loadBlueprint(flags.dir, { mode: 'events', ...(flags.stage ? { stage: flags.stage } : {}) });
    let event: Record<string, unknown>;
    let added: string[] = [];
    if (flags.order) {
      event = orderPlacedEvent(blueprint, orderFromFile(flags.order));
    } else {
      ({ event, added } = completeEnvelope(readJsonArgument(flags.event!, '--event'), blueprint, '--event'));
    }
    const rules = testEventAgainstRules(blueprint.events!, blueprint.names.inAccount(LOCAL_ACCOUNT_ID), event);
    const matched = rules.filter((r) => r.matched).map((r) => r.rule);
    const result: TestEventResult = { event, addedEnvelopeFields: added, matched, rules };
    this.log(renderVerdicts(event, rules, added));
    if (matched.length === 0) {
      this.errorData = result;
      throw new ExpectationError(`no rule of ${blueprint.events!.file} matches the event (${describeEvent(event)})`, [
        'The reasons are listed per rule above (or in error.data.rules with --json).',
      ]);
    }
    return result;
  }
}

function describeEvent(event: Record<string, unknown>): string {
  return `${JSON.stringify(event['detail-type'] ?? null)} from ${JSON.stringify(event.source ?? null)}`;
}

function renderVerdicts(
  event: Record<string, unknown>,
  rules: readonly RuleVerdict[],
  added: readonly string[],
): string {
  const matched = rules.filter((r) => r.matched).length;
  const lines = [
    `event ${describeEvent(event)}: ${matched} of ${rules.length} rules match${added.length ? ` (envelope fields added: ${added.join(', ')})` : ''}`,
  ];
  for (const r of rules) {
    if (r.matched) {
      lines.push(`  match     ${r.rule} -> ${r.target}${r.transformed ? ' (input transformer applied)' : ''}`);
      lines.push(`            input: ${typeof r.input === 'string' ? r.input : JSON.stringify(r.input)}`);
    } else {
      const m = r.mismatch!;
      const actual = m.present ? `is ${JSON.stringify(m.actual)}` : 'is absent';
      lines.push(
        `  no match  ${r.rule}: ${m.field === '(fields together)' ? 'each field matches alone, but not in the same array element' : `${m.field} ${actual}, pattern wants ${JSON.stringify(m.expected)}`}`,
      );
    }
  }
  return lines.join('\n');
}
