// EventBridge input transformers (PutTargets `InputTransformer`), as described in "Amazon EventBridge input
// transformation": InputPathsMap JSON paths into the event, InputTemplate placeholders `<name>`, values
// substituted as JSON outside quotes and as escaped text inside them, and the reserved `aws.events.*`
// variables. Written by hand: it is a small, EventBridge-specific substitution with no maintained library.

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface TransformContext {
  ruleName: string;
  ruleArn: string;
  ingestionTime?: string;
}

export class InvalidInputTransformerError extends Error {
  override name = 'ValidationException';
}

const MAX_PATHS = 100;
const KEY = /^[A-Za-z0-9_-]+$/;
const RESERVED = new Set(['aws.events.rule-arn', 'aws.events.rule-name', 'aws.events.event.ingestion-time', 'aws.events.event', 'aws.events.event.json']);
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/g;

export function validateInputTransformer(value: unknown): InputTransformer {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InvalidInputTransformerError('InputTransformer must be an object with InputTemplate and optional InputPathsMap');
  const t = value as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (key !== 'InputTemplate' && key !== 'InputPathsMap') throw new InvalidInputTransformerError(`unknown field "${key}" (expected InputTemplate, InputPathsMap)`);
  }
  if (typeof t.InputTemplate !== 'string' || t.InputTemplate.length === 0) throw new InvalidInputTransformerError('InputTemplate is required and must be a non-empty string');
  if (t.InputTemplate.length > 8192) throw new InvalidInputTransformerError('InputTemplate must be at most 8192 characters');
  const paths = (t.InputPathsMap ?? {}) as Record<string, unknown>;
  if (typeof paths !== 'object' || Array.isArray(paths)) throw new InvalidInputTransformerError('InputPathsMap must be an object of name -> JSON path');
  const entries = Object.entries(paths);
  if (entries.length > MAX_PATHS) throw new InvalidInputTransformerError(`InputPathsMap has ${entries.length} entries; the maximum is ${MAX_PATHS}`);
  for (const [key, path] of entries) {
    if (key.startsWith('aws.')) throw new InvalidInputTransformerError(`InputPathsMap key "${key}" is reserved (keys starting with "aws." are EventBridge's)`);
    if (!KEY.test(key)) throw new InvalidInputTransformerError(`InputPathsMap key "${key}" may contain only letters, digits, "-" and "_"`);
    if (typeof path !== 'string' || !path.startsWith('$')) throw new InvalidInputTransformerError(`InputPathsMap "${key}" must be a JSON path starting with "$" (got ${JSON.stringify(path)})`);
    parsePath(path, key);
  }
  for (const match of t.InputTemplate.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    if (!RESERVED.has(name) && !Object.hasOwn(paths, name) && KEY.test(name)) {
      throw new InvalidInputTransformerError(`InputTemplate uses <${name}>, which InputPathsMap does not define`);
    }
  }
  return { ...(t.InputPathsMap ? { InputPathsMap: paths as Record<string, string> } : {}), InputTemplate: t.InputTemplate };
}

/** The text EventBridge delivers to the target for this event. */
export function applyInputTransformer(t: InputTransformer, event: Record<string, unknown>, ctx: TransformContext): string {
  const values = new Map<string, unknown>();
  for (const [key, path] of Object.entries(t.InputPathsMap ?? {})) values.set(key, evaluate(event, parsePath(path, key)));
  const eventJson = JSON.stringify(event);
  const reserved: Record<string, unknown> = {
    'aws.events.rule-arn': ctx.ruleArn,
    'aws.events.rule-name': ctx.ruleName,
    'aws.events.event.ingestion-time': ctx.ingestionTime ?? new Date().toISOString(),
  };
  const template = t.InputTemplate;
  const jsonTemplate = /^\s*[{["]/.test(template);
  let out = '';
  let inString = false;
  let last = 0;
  // Scan once, tracking whether each placeholder sits inside a JSON string literal.
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '\\' && inString) {
      i++;
      continue;
    }
    if (c === '"') {
      inString = !inString;
      continue;
    }
    if (c !== '<') continue;
    const close = template.indexOf('>', i);
    if (close < 0) break;
    const name = template.slice(i + 1, close);
    const isReservedEvent = name === 'aws.events.event' || name === 'aws.events.event.json';
    if (!values.has(name) && !(name in reserved) && !isReservedEvent) continue;
    out += template.slice(last, i);
    last = close + 1;
    i = close;
    if (isReservedEvent) {
      out += inString ? escapeForString(eventJson) : eventJson;
      continue;
    }
    const value = values.has(name) ? values.get(name) : reserved[name];
    out += substitute(value, inString, jsonTemplate);
  }
  return out + template.slice(last);
}

/** The target's input: the event itself without a transformer, else the template's output (parsed when JSON). */
export function transformEventForTarget(t: InputTransformer | undefined, event: Record<string, unknown>, ctx: TransformContext): unknown {
  if (!t) return event;
  const text = applyInputTransformer(t, event, ctx);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function substitute(value: unknown, inString: boolean, jsonTemplate: boolean): string {
  if (inString) {
    // Inside quotes: a string goes in as escaped text; anything else as its JSON, escaped; missing -> empty.
    if (value === undefined) return '';
    return escapeForString(typeof value === 'string' ? value : JSON.stringify(value));
  }
  if (value === undefined) return 'null';
  if (!jsonTemplate && typeof value === 'string') return value;
  return JSON.stringify(value);
}

function escapeForString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

type Segment = string | number;

/** JSON paths as EventBridge accepts them: `$`, `$.a.b`, `$.a[0]`, `$['detail-type']`, `$.detail-type`. */
function parsePath(path: string, key: string): Segment[] {
  const segments: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if ((m = /^\.([^.[\]]+)/.exec(rest))) segments.push(m[1]!);
    else if ((m = /^\[(\d+)\]/.exec(rest))) segments.push(Number(m[1]));
    else if ((m = /^\['([^']*)'\]/.exec(rest)) || (m = /^\["([^"]*)"\]/.exec(rest))) segments.push(m[1]!);
    else throw new InvalidInputTransformerError(`InputPathsMap "${key}" has an invalid JSON path ${JSON.stringify(path)}`);
    rest = rest.slice(m[0].length);
  }
  return segments;
}

function evaluate(root: unknown, segments: Segment[]): unknown {
  let cur: unknown = root;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}
