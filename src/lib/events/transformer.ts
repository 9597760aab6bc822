// EventBridge input transformers (the PutTargets `InputTransformer`), as described in "Amazon EventBridge input
// transformation" and the InputTransformer API reference: InputPathsMap names JSON paths into the event, InputTemplate
// uses them as <name> placeholders, values go in as JSON outside quotes and as escaped text inside them, and the
// reserved aws.events.* variables are always available. Written by hand: it is a small, EventBridge-specific
// substitution that no maintained library implements. Where the guide is silent, it follows output recorded against
// real EventBridge (a path that resolves to nothing becomes an empty string; <aws.events.event> drops `detail`).

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface TransformContext {
  ruleName: string;
  ruleArn: string;
  /** ISO 8601 time EventBridge received the event; defaults to the event's `time`. */
  ingestionTime?: string;
}

/** What PutTargets answers for a transformer it refuses. */
export class InvalidInputTransformerError extends Error {
  override name = 'ValidationException';
}

// PutTargets limits: "as many as 100 key-value pairs"; keys match [A-Za-z0-9\_\-]+ (max 256); paths max 256;
// InputTemplate 1 to 8192 characters.
const MAX_PATHS = 100;
const MAX_KEY_LENGTH = 256;
const MAX_PATH_LENGTH = 256;
const MAX_TEMPLATE_LENGTH = 8192;
const KEY = /^[A-Za-z0-9_-]+$/;

const EVENT_WITHOUT_DETAIL = 'aws.events.event';
const EVENT_JSON = 'aws.events.event.json';
const RESERVED = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  EVENT_WITHOUT_DETAIL,
  EVENT_JSON,
]);

/** Validates a transformer as PutTargets would and returns a clean copy. */
export function validateInputTransformer(value: unknown): InputTransformer {
  if (!isPlainObject(value))
    throw new InvalidInputTransformerError(
      'InputTransformer must be an object with InputTemplate and optional InputPathsMap',
    );
  for (const key of Object.keys(value)) {
    if (key !== 'InputTemplate' && key !== 'InputPathsMap')
      throw new InvalidInputTransformerError(
        `InputTransformer has an unknown field "${key}" (expected InputTemplate, InputPathsMap)`,
      );
  }
  const template = value.InputTemplate;
  if (typeof template !== 'string' || template.length === 0)
    throw new InvalidInputTransformerError('InputTemplate is required and must be a non-empty string');
  if (template.length > MAX_TEMPLATE_LENGTH)
    throw new InvalidInputTransformerError(
      `InputTemplate has ${template.length} characters; the maximum is ${MAX_TEMPLATE_LENGTH}`,
    );

  const rawPaths = value.InputPathsMap ?? {};
  if (!isPlainObject(rawPaths))
    throw new InvalidInputTransformerError('InputPathsMap must be an object of name -> JSON path');
  const entries = Object.entries(rawPaths);
  if (entries.length > MAX_PATHS)
    throw new InvalidInputTransformerError(`InputPathsMap has ${entries.length} entries; the maximum is ${MAX_PATHS}`);
  const paths: Record<string, string> = {};
  for (const [key, path] of entries) {
    if (RESERVED.has(key) || key.toLowerCase().startsWith('aws.')) {
      throw new InvalidInputTransformerError(
        `InputPathsMap key "${key}" is reserved: keys cannot start with "AWS." (aws.events.* are predefined variables)`,
      );
    }
    if (!KEY.test(key) || key.length > MAX_KEY_LENGTH) {
      throw new InvalidInputTransformerError(
        `InputPathsMap key "${key}" may contain only letters, digits, "-" and "_" (at most ${MAX_KEY_LENGTH})`,
      );
    }
    if (typeof path !== 'string' || !path.startsWith('$'))
      throw new InvalidInputTransformerError(
        `InputPathsMap "${key}" must be a JSON path starting with "$" (got ${JSON.stringify(path)})`,
      );
    if (path.length > MAX_PATH_LENGTH)
      throw new InvalidInputTransformerError(`InputPathsMap "${key}" is longer than ${MAX_PATH_LENGTH} characters`);
    parsePath(path, key);
    paths[key] = path;
  }

  for (const piece of scanTemplate(template)) {
    if (typeof piece === 'string') continue;
    if (!RESERVED.has(piece.name) && !Object.hasOwn(paths, piece.name)) {
      throw new InvalidInputTransformerError(
        `InputTemplate uses <${piece.name}>, which InputPathsMap does not define (invalid placeholder ${piece.name})`,
      );
    }
    if (piece.objectKey)
      throw new InvalidInputTransformerError(
        `InputTemplate uses <${piece.name}> as an object key; a placeholder cannot be used as an object key`,
      );
  }
  return { ...(value.InputPathsMap !== undefined ? { InputPathsMap: paths } : {}), InputTemplate: template };
}

/** The text EventBridge delivers to the target for this event. */
export function applyInputTransformer(
  t: InputTransformer,
  event: Record<string, unknown>,
  ctx: TransformContext,
): string {
  const values = new Map<string, unknown>();
  for (const [key, path] of Object.entries(t.InputPathsMap ?? {}))
    values.set(key, evaluate(event, parsePath(path, key)));
  const ingestionTime = ctx.ingestionTime ?? (typeof event.time === 'string' ? event.time : new Date().toISOString());
  values.set('aws.events.rule-arn', ctx.ruleArn);
  values.set('aws.events.rule-name', ctx.ruleName);
  values.set('aws.events.event.ingestion-time', ingestionTime);

  const kind = templateKind(t.InputTemplate);
  let out = '';
  for (const piece of scanTemplate(t.InputTemplate)) {
    if (typeof piece === 'string') {
      out += piece;
    } else if (piece.name === EVENT_JSON) {
      // "Can only be used as a value for a JSON field, as its contents are not escaped."
      out += JSON.stringify(event);
    } else if (piece.name === EVENT_WITHOUT_DETAIL) {
      out += JSON.stringify(eventWithoutDetail(event, ingestionTime));
    } else {
      out += render(values.get(piece.name), kind, piece.inString);
    }
  }
  return out;
}

/** The target's input: the event itself without a transformer, else the delivered text (parsed when it is JSON). */
export function transformEventForTarget(
  t: InputTransformer | undefined,
  event: Record<string, unknown>,
  ctx: TransformContext,
): unknown {
  if (!t) return event;
  const text = applyInputTransformer(t, event, ctx);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// ---- substitution --------------------------------------------------------------------------------------------------

/** A JSON object/array template, a JSON string template ("..."), or free text such as `<instance> is in state <status>`. */
type TemplateKind = 'json' | 'string' | 'text';

function templateKind(template: string): TemplateKind {
  const first = template.trimStart()[0];
  return first === '{' || first === '[' ? 'json' : first === '"' ? 'string' : 'text';
}

function render(value: unknown, kind: TemplateKind, inString: boolean): string {
  // EventBridge: a path that matches nothing "isn't created"; AWS delivers it as an empty string, both inside quotes
  // ("... from detail ") and as a bare JSON value ({"command": ""}).
  if (value === undefined) return kind === 'json' && !inString ? '""' : '';
  if (kind === 'text') return typeof value === 'string' ? value : JSON.stringify(value);
  if (inString) {
    // Inside quotes a string goes in as its escaped text (no quotes of its own), anything else as its escaped JSON.
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return JSON.stringify(text).slice(1, -1);
  }
  // Outside quotes the value goes in as JSON: strings get their quotes, objects and arrays are minified.
  return JSON.stringify(value);
}

/** <aws.events.event>: the envelope without `detail`; AWS names `detail-type` "detailType" and sets `time` to the ingestion time. */
function eventWithoutDetail(event: Record<string, unknown>, ingestionTime: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'detail') continue;
    if (key === 'detail-type') out.detailType = value;
    else if (key === 'time') out.time = ingestionTime;
    else out[key] = value;
  }
  return out;
}

// ---- template scanning ---------------------------------------------------------------------------------------------

interface Placeholder {
  name: string;
  /** Inside a JSON string literal of the template. */
  inString: boolean;
  /** In the key position of a JSON object (not allowed by PutTargets). */
  objectKey: boolean;
}

type Piece = string | Placeholder;

const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/y;
const scans = new Map<string, Piece[]>();
const MAX_CACHED_SCANS = 256;

/**
 * Splits a template into literal text and placeholders, tracking JSON string literals (with their escapes) and, for
 * JSON templates, whether a placeholder sits where an object key belongs. Cached: templates repeat for every event.
 */
function scanTemplate(template: string): Piece[] {
  const cached = scans.get(template);
  if (cached) return cached;
  const kind = templateKind(template);
  const pieces: Piece[] = [];
  // For JSON templates: a stack of open containers, and whether the next token in the current object is a key.
  const stack: Array<'{' | '['> = [];
  let expectKey = false;
  let inString = false;
  let stringIsKey = false;
  let literalStart = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (inString) {
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '"') {
        inString = false;
        continue;
      }
    } else if (c === '"') {
      inString = true;
      stringIsKey = kind === 'json' && expectKey;
      continue;
    } else if (kind === 'json') {
      if (c === '{' || c === '[') {
        stack.push(c);
        expectKey = c === '{';
      } else if (c === '}' || c === ']') {
        stack.pop();
        expectKey = false;
      } else if (c === ',') {
        expectKey = stack[stack.length - 1] === '{';
      } else if (c === ':') {
        expectKey = false;
      }
    }
    if (c !== '<') continue;
    PLACEHOLDER.lastIndex = i;
    const match = PLACEHOLDER.exec(template);
    if (!match) continue;
    if (i > literalStart) pieces.push(template.slice(literalStart, i));
    const objectKey = kind === 'json' && (inString ? stringIsKey : expectKey);
    pieces.push({ name: match[1], inString, objectKey });
    i += match[0].length - 1;
    literalStart = i + 1;
  }
  if (literalStart < template.length) pieces.push(template.slice(literalStart));
  if (scans.size >= MAX_CACHED_SCANS) scans.clear();
  scans.set(template, pieces);
  return pieces;
}

// ---- JSON paths ----------------------------------------------------------------------------------------------------

type Segment = { key: string } | { index: number } | { wildcard: true };

/**
 * The JSON paths InputPathsMap accepts: "You must use JSON dot notation, not bracket notation"; names may hold dashes,
 * underscores, alphanumerics and forward slashes; array indices ([0]) and wildcards ([*] or .*) are supported.
 */
function parsePath(path: string, key: string): Segment[] {
  const segments: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if ((m = /^\.\*/.exec(rest)) || (m = /^\[\*\]/.exec(rest))) segments.push({ wildcard: true });
    else if ((m = /^\.([^.[\]\s'"]+)/.exec(rest))) segments.push({ key: m[1] });
    else if ((m = /^\[(\d+)\]/.exec(rest))) segments.push({ index: Number(m[1]) });
    else if (/^\[\s*['"]/.test(rest)) {
      throw new InvalidInputTransformerError(
        `InputPathsMap "${key}" uses bracket notation (${path}); EventBridge requires JSON dot notation such as $.detail.instance-id`,
      );
    } else
      throw new InvalidInputTransformerError(
        `InputPathsMap "${key}" is not a valid JSON path: ${JSON.stringify(path)}`,
      );
    rest = rest.slice(m[0].length);
  }
  return segments;
}

/** The value at the path, undefined when nothing matches; a path with a wildcard yields the array of its matches. */
function evaluate(root: unknown, segments: Segment[]): unknown {
  const hasWildcard = segments.some((s) => 'wildcard' in s);
  let current: unknown[] = [root];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const node of current) {
      if ('wildcard' in segment) {
        if (Array.isArray(node)) next.push(...(node as unknown[]));
        else if (isPlainObject(node)) next.push(...Object.values(node));
      } else if ('index' in segment) {
        if (Array.isArray(node) && segment.index < node.length) next.push(node[segment.index]);
      } else if (isPlainObject(node) && Object.hasOwn(node, segment.key)) {
        next.push(node[segment.key]);
      }
    }
    current = next;
  }
  if (hasWildcard) return current.length > 0 ? current : undefined;
  return current[0];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
