import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { validateWith } from '../config/schema.js';
import { UserError } from '../errors.js';
import { parseUserJson } from '../json.js';
import { InvalidEventPatternError, validatePattern, type EventPattern } from '../events/pattern.js';
import {
  applyInputTransformer,
  InvalidInputTransformerError,
  validateInputTransformer,
  type InputTransformer,
} from '../events/transformer.js';
import type { HandlerSpec } from './handlers.js';

const detailType = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9.-]{0,127}$/, 'must be an event name such as "PaymentAuthorized"');

const eventFlowSchema = z.strictObject({
  $schema: z.string().optional(),
  /** `source` of the events the API publishes. */
  source: z.string().min(1).max(256).default('fulfill.api'),
  /** detail-type of the event the API publishes for each order. */
  orderPlaced: detailType.default('OrderPlaced'),
  /** Terminal events: an order's outcome is final when one of these is published for it. */
  outcome: z.strictObject({ succeeded: z.array(detailType).min(1), failed: z.array(detailType).min(1) }),
  /** EventBridge target RetryPolicy, and a dead-letter queue for events still failing after it. */
  delivery: z
    .strictObject({
      maximumRetryAttempts: z.int().min(0).max(185).default(2),
      maximumEventAgeSeconds: z.int().min(60).max(86400).default(3600),
    })
    .default({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 }),
  functions: z.record(
    z.string(),
    z.strictObject({
      /** Where the handler's result goes in the order state (like a Task's ResultPath `$.<resultPath>`). */
      resultPath: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a top-level field name such as "payment"'),
      /** Events published on success, first whose `when` (an event pattern over the new state) matches. */
      publishes: z.array(z.strictObject({ detailType, when: z.record(z.string(), z.unknown()).optional() })).min(1),
      /** Errors turned into events (like a Catch); any other error fails the delivery, which is retried. */
      onError: z.array(z.strictObject({ errorEquals: z.array(z.string().min(1)).min(1), detailType })).default([]),
    }),
  ),
  rules: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lowercase letters, digits or dashes'),
        description: z.string().max(512).optional(),
        pattern: z.record(z.string(), z.unknown()),
        target: z.string().min(1),
        inputTransformer: z.unknown().optional(),
      }),
    )
    .min(1),
});

export interface PublishSpec {
  readonly detailType: string;
  readonly when?: EventPattern;
}

export interface FunctionRoute {
  readonly resultPath: string;
  readonly publishes: readonly PublishSpec[];
  readonly onError: ReadonlyArray<{ errorEquals: readonly string[]; detailType: string }>;
}

export interface EventRule {
  readonly name: string;
  readonly description?: string;
  readonly pattern: EventPattern;
  readonly target: string;
  readonly inputTransformer?: InputTransformer;
}

export interface EventFlow {
  readonly file: string;
  readonly source: string;
  readonly orderPlaced: string;
  readonly outcome: { readonly succeeded: readonly string[]; readonly failed: readonly string[] };
  readonly delivery: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
  readonly functions: Readonly<Record<string, FunctionRoute>>;
  readonly rules: readonly EventRule[];
}

export function loadEventFlow(projectDir: string, file: string, handlers: readonly HandlerSpec[]): EventFlow {
  let text: string;
  try {
    text = readFileSync(join(projectDir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${file} not found`, [
        'Events mode needs an event flow file: see `fulfill init`, or fix "events" in fulfill.config.json.',
      ]);
    }
    throw new UserError(
      `${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const raw = parseUserJson(text, file);
  const parsed = validateWith(eventFlowSchema, raw, file);
  return checkEventFlow({ ...parsed, file }, handlers);
}

/** Validates what the schema cannot: patterns and transformers (as PutRule/PutTargets would), and references. */
export function checkEventFlow(
  flow: z.output<typeof eventFlowSchema> & { file: string },
  handlers: readonly HandlerSpec[],
): EventFlow {
  const file = flow.file;
  const known = new Set(handlers.map((h) => h.name));
  const functions: Record<string, FunctionRoute> = {};
  for (const [name, route] of Object.entries(flow.functions)) {
    if (!known.has(name))
      throw new UserError(`${file}: "functions.${name}" names a handler that does not exist`, [
        `Known handlers: ${[...known].join(', ')}.`,
      ]);
    functions[name] = {
      resultPath: route.resultPath,
      onError: route.onError,
      publishes: route.publishes.map((p, i) => ({
        detailType: p.detailType,
        ...(p.when ? { when: asPattern(p.when, `${file}: "functions.${name}.publishes[${i}].when"`) } : {}),
      })),
    };
  }
  const seen = new Set<string>();
  const rules: EventRule[] = flow.rules.map((rule, i) => {
    const where = `${file}: "rules[${i}]" (${rule.name})`;
    if (seen.has(rule.name))
      throw new UserError(`${where}: a rule with this name already exists; rule names must be unique`);
    seen.add(rule.name);
    if (!known.has(rule.target))
      throw new UserError(`${where}: target "${rule.target}" is not a handler`, [
        `Known handlers: ${[...known].join(', ')}.`,
      ]);
    if (!functions[rule.target])
      throw new UserError(`${where}: target "${rule.target}" has no entry in "functions" saying what it publishes`);
    let inputTransformer: InputTransformer | undefined;
    if (rule.inputTransformer !== undefined) {
      try {
        inputTransformer = validateInputTransformer(rule.inputTransformer);
        checkTemplateOutput(inputTransformer, rule.name);
      } catch (error) {
        if (error instanceof InvalidInputTransformerError)
          throw new UserError(`${where}.inputTransformer: ${error.message}`);
        throw error;
      }
    }
    return {
      name: rule.name,
      ...(rule.description ? { description: rule.description } : {}),
      pattern: asPattern(rule.pattern, `${where}.pattern`),
      target: rule.target,
      ...(inputTransformer ? { inputTransformer } : {}),
    };
  });
  return {
    file,
    source: flow.source,
    orderPlaced: flow.orderPlaced,
    outcome: flow.outcome,
    delivery: flow.delivery,
    functions,
    rules,
  };
}

/**
 * PutTargets refuses an InputTemplate that looks like JSON (starts with `{` or `[`) but is not valid JSON once
 * its placeholders are filled in: deployed, it would break every delivery. Checked by rendering it for an
 * event where no path matches (each placeholder becomes `""`, as EventBridge renders a missing value).
 */
function checkTemplateOutput(transformer: InputTransformer, ruleName: string): void {
  const first = transformer.InputTemplate.trimStart()[0];
  if (first !== '{' && first !== '[') return;
  const rendered = applyInputTransformer(
    transformer,
    { detail: {} },
    { ruleName, ruleArn: `arn:aws:events:::rule/${ruleName}`, ingestionTime: new Date(0).toISOString() },
  );
  try {
    JSON.parse(rendered);
  } catch (error) {
    throw new InvalidInputTransformerError(
      `InputTemplate is not valid JSON after its placeholders are filled in, so PutTargets would refuse it (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

function asPattern(pattern: unknown, where: string): EventPattern {
  try {
    return validatePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) throw new UserError(`${where}: ${error.message}`);
    throw error;
  }
}
