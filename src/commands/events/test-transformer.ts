import { LOCAL_ACCOUNT_ID } from '../../lib/blueprint/naming.js';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { stageFlags } from '../../lib/cli/flags.js';
import { loadBlueprint } from '../../lib/blueprint/blueprint.js';
import { completeEnvelope, orderPlacedEvent, readJsonArgument, targetInput } from '../../lib/blueprint/rule-test.js';
import { UserError } from '../../lib/errors.js';
import {
  applyInputTransformer,
  InvalidInputTransformerError,
  validateInputTransformer,
  type InputTransformer,
} from '../../lib/events/transformer.js';
import { orderFromFile } from '../../lib/order/from-input.js';

interface TestTransformerResult {
  rule?: string;
  transformer: InputTransformer;
  /** The text EventBridge delivers. */
  text: string;
  /** What the target's handler receives: the text parsed when it is JSON. */
  input: unknown;
}

export default class TestTransformer extends BaseCommand<typeof TestTransformer> {
  static summary =
    'Apply one input transformer (a rule of events.json, or given) to an event: the exact input the target receives.';
  static description = `The transformer is a rule's (--rule NAME, from events.json) or given as JSON text or a file (--transformer, PutTargets' InputTransformer: InputPathsMap and InputTemplate). The event is --event (JSON text or file; missing envelope fields filled as EventBridge does) or the OrderPlaced of a sample order (--order). The pattern is not tested: use \`events test-event\` for that.

EXIT CODES
  0  transformed
  2  bad input (invalid transformer, unknown rule, event, order file)`;
  static examples = [
    '<%= config.bin %> events test-transformer --rule authorize-payment --order orders/credit-card-1p.json',
    `<%= config.bin %> events test-transformer --transformer '{"InputPathsMap":{"id":"$.detail.orderId"},"InputTemplate":"\\"order <id>\\""}' --event event.json`,
  ];
  static flags = {
    ...stageFlags,
    rule: Flags.string({ summary: 'A rule of events.json whose input transformer to apply.' }),
    transformer: Flags.string({ summary: 'An InputTransformer (JSON text or file).' }),
    event: Flags.string({ summary: 'The event (JSON text or file).' }),
    order: Flags.string({ summary: 'An order file: use the OrderPlaced event the API would publish for it.' }),
  };

  async run(): Promise<TestTransformerResult> {
    const { flags } = await this.parse(TestTransformer);
    if (!flags.rule === !flags.transformer)
      throw new UserError('pass exactly one of --rule and --transformer', ['See --help for examples.']);
    if (!flags.event === !flags.order)
      throw new UserError('pass exactly one of --event and --order', ['See --help for examples.']);
    const blueprint = loadBlueprint(flags.dir, { mode: 'events', ...(flags.stage ? { stage: flags.stage } : {}) });
    let transformer: InputTransformer | undefined;
    let ruleName = 'test-transformer';
    if (flags.rule) {
      const rule = blueprint.events!.rules.find((r) => r.name === flags.rule);
      if (!rule)
        throw new UserError(`--rule ${flags.rule}: no such rule in ${blueprint.events!.file}`, [
          `Rules: ${blueprint.events!.rules.map((r) => r.name).join(', ')}.`,
        ]);
      if (!rule.inputTransformer)
        throw new UserError(
          `--rule ${flags.rule}: the rule has no inputTransformer (its target receives the whole event)`,
        );
      transformer = rule.inputTransformer;
      ruleName = rule.name;
    } else {
      try {
        transformer = validateInputTransformer(readJsonArgument(flags.transformer!, '--transformer'));
      } catch (error) {
        if (error instanceof InvalidInputTransformerError) throw new UserError(`--transformer: ${error.message}`);
        throw error;
      }
    }
    const event = flags.order
      ? orderPlacedEvent(blueprint, orderFromFile(flags.order))
      : completeEnvelope(readJsonArgument(flags.event!, '--event'), blueprint, '--event').event;
    const rule = {
      ruleName: blueprint.names.resource(ruleName),
      ruleArn: blueprint.names.inAccount(LOCAL_ACCOUNT_ID).ruleArn(ruleName),
    };
    const text = applyInputTransformer(transformer, event, {
      ...rule,
      ...(typeof event.time === 'string' ? { ingestionTime: event.time } : {}),
    });
    const input = targetInput(transformer, event, rule);
    this.log(typeof input === 'string' ? text : JSON.stringify(input, null, 2));
    return { ...(flags.rule ? { rule: flags.rule } : {}), transformer, text, input };
  }
}
