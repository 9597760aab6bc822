// `fulfill events test-event` and `test-transformer`: an event against every rule of the project, with what each
// matched target receives, computed by the same matcher and transformer the local bus uses.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { apiModel } from '../api/model.js';
import { renderMappingTemplate } from '../api/velocity.js';
import { UserError } from '../errors.js';
import { matchesPattern, type EventPattern } from '../events/pattern.js';
import { transformEventForTarget, type InputTransformer } from '../events/transformer.js';
import type { Order } from '../order/model.js';
import type { Blueprint } from './blueprint.js';
import type { EventFlow } from './event-flow.js';
import { LOCAL_ACCOUNT_ID, type Naming } from './naming.js';

/** Why a pattern does not match: the first field (in the pattern's order) whose condition fails on its own. */
export interface Mismatch {
  /** `detail-type`, `detail.seller.type`, `detail.$or`; `(fields together)` when each matches alone but not jointly. */
  field: string;
  /** The pattern's match values for that field. */
  expected: unknown;
  /** The event's value there; absent when the event has no such field. */
  actual?: unknown;
  present: boolean;
}

export interface RuleVerdict {
  rule: string;
  target: string;
  matched: boolean;
  /** Set when not matched. */
  mismatch?: Mismatch;
  /** Set when matched: the exact input the target receives (after the input transformer, if any). */
  input?: unknown;
  transformed?: boolean;
}

/** Every rule of the flow against one event, in the file's order. */
export function testEventAgainstRules(
  flow: Pick<EventFlow, 'rules'>,
  names: Naming,
  event: Record<string, unknown>,
): RuleVerdict[] {
  return flow.rules.map((rule) => {
    if (!matchesPattern(rule.pattern, event)) {
      return { rule: rule.name, target: rule.target, matched: false, mismatch: firstMismatch(rule.pattern, event) };
    }
    return {
      rule: rule.name,
      target: rule.target,
      matched: true,
      input: targetInput(rule.inputTransformer, event, {
        ruleName: names.resource(rule.name),
        ruleArn: names.ruleArn(rule.name),
      }),
      transformed: rule.inputTransformer !== undefined,
    };
  });
}

/** What a target receives for this event, as the local bus computes it (see local/bus.ts `deliver`). */
export function targetInput(
  transformer: InputTransformer | undefined,
  event: Record<string, unknown>,
  rule: { ruleName: string; ruleArn: string },
): unknown {
  return transformEventForTarget(transformer, event, {
    ...rule,
    ...(typeof event.time === 'string' ? { ingestionTime: event.time } : {}),
  });
}

/**
 * The first field of the pattern that fails on its own: each leaf (and each $or) is tested alone, as a pattern of
 * just that path, with the real matcher, so the answer agrees with matchesPattern by construction.
 */
export function firstMismatch(pattern: EventPattern, event: Record<string, unknown>): Mismatch {
  for (const { path, sub, expected } of leafPatterns(pattern, [])) {
    if (matchesPattern(sub, event)) continue;
    const value = valueAt(
      event,
      path.filter((p) => p !== '$or'),
    );
    return {
      field: path.join('.'),
      expected,
      present: value.present,
      ...(value.present ? { actual: value.value } : {}),
    };
  }
  // Unreachable while every field is matched on its own (EventBridge flattens arrays per field, and so does
  // pattern.ts); kept so that a stricter matcher can never make this report a wrong field.
  return { field: '(fields together)', expected: pattern, present: true };
}

function* leafPatterns(
  pattern: EventPattern,
  base: string[],
): Generator<{ path: string[]; sub: EventPattern; expected: unknown }> {
  for (const [key, value] of Object.entries(pattern)) {
    const path = [...base, key];
    if (Array.isArray(value)) yield { path, sub: nest(path, value), expected: value };
    else if (value && typeof value === 'object') yield* leafPatterns(value as EventPattern, path);
  }
}

function nest(path: readonly string[], leaf: unknown): EventPattern {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), leaf) as EventPattern;
}

/** The event's value(s) at a path, through arrays as EventBridge flattens them: one value, or the list of them. */
function valueAt(event: Record<string, unknown>, path: readonly string[]): { present: boolean; value?: unknown } {
  let current: unknown[] = [event];
  for (const key of path) {
    const next: unknown[] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && Object.hasOwn(value, key))
        next.push((value as Record<string, unknown>)[key]);
    };
    current.forEach(visit);
    current = next;
  }
  if (current.length === 0) return { present: false };
  return { present: true, value: current.length === 1 ? current[0] : current };
}

/**
 * The OrderPlaced event the deployed API would put on the bus for this order: the PutEvents request rendered from
 * the API's own mapping template, in the envelope EventBridge adds (as the local bus builds it in `accept`).
 */
export function orderPlacedEvent(blueprint: Blueprint, order: Order, now = new Date()): Record<string, unknown> {
  const model = apiModel(blueprint, LOCAL_ACCOUNT_ID);
  const body = JSON.stringify(order);
  const request = {
    body,
    method: 'POST',
    resourcePath: model.resourcePath,
    sourceIp: '127.0.0.1',
    headers: { 'content-type': 'application/json' },
  };
  const context = {
    requestId: randomUUID(),
    stage: blueprint.stage,
    requestTimeEpoch: now.getTime(),
    httpMethod: 'POST',
    resourcePath: model.resourcePath,
  };
  const rendered = JSON.parse(renderMappingTemplate(model.requestTemplate, request, context)) as {
    Entries: Array<{ Source: string; DetailType: string; Detail: string }>;
  };
  const entry = rendered.Entries[0];
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: LOCAL_ACCOUNT_ID,
    // EventBridge envelope time has second precision.
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: blueprint.region,
    resources: [],
    detail: JSON.parse(entry.Detail) as Record<string, unknown>,
  };
}

/** A flag value that is JSON text or the path of a JSON file (an argument starting with `{` or `[` is JSON). */
export function readJsonArgument(value: string, flag: string): unknown {
  const trimmed = value.trimStart();
  let text = value;
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch {
      throw new UserError(`${flag}: "${value}" is neither JSON nor a readable file`, [
        `Pass JSON text (${flag} '{"detail-type": ...}') or the path of a JSON file.`,
      ]);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${flag}: not valid JSON (${(error as Error).message})`);
  }
}

const ENVELOPE_FIELDS = ['version', 'id', 'account', 'time', 'region', 'resources'] as const;

/**
 * The event as it would be on the bus: PutEvents callers give source, detail-type and detail; EventBridge adds the
 * rest of the envelope. Missing envelope fields are filled in the same way (and listed); present ones are kept.
 */
export function completeEnvelope(
  event: unknown,
  blueprint: Pick<Blueprint, 'names' | 'region'>,
  flag: string,
  now = new Date(),
): { event: Record<string, unknown>; added: string[] } {
  if (!event || typeof event !== 'object' || Array.isArray(event))
    throw new UserError(`${flag}: the event must be a JSON object (an EventBridge event: source, detail-type, detail)`);
  const given = event as Record<string, unknown>;
  const defaults: Record<(typeof ENVELOPE_FIELDS)[number], unknown> = {
    version: '0',
    id: randomUUID(),
    account: LOCAL_ACCOUNT_ID,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: blueprint.region,
    resources: [],
  };
  const added = ENVELOPE_FIELDS.filter((f) => !Object.hasOwn(given, f));
  const complete = { ...given };
  for (const field of added) complete[field] = defaults[field];
  return { event: complete, added };
}
