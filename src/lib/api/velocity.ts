// API Gateway mapping templates, rendered locally so that the local API runs the very strings the deployer
// uploads. velocityjs is the Velocity engine; what is ours is only what API Gateway adds around Velocity, as
// the "API Gateway mapping template and access logging variable reference" documents it:
//   $input   body, json(path), path(path), params(), params(name)
//   $util    escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode, base64Decode
//   $context requestId, extendedRequestId, stage, requestTime, requestTimeEpoch, accountId, apiId,
//            httpMethod, resourcePath, path, protocol, domainName, identity.sourceIp, identity.userAgent
//   $stageVariables
// plus the Java semantics that API Gateway's (Java) Velocity gives to String methods and that velocityjs,
// calling JavaScript's methods of the same name, does not (replaceAll takes a regex in Java, a literal in JS).
//
// Not emulated: $context.authorizer.*, the other $context.identity.* fields, $context.requestOverride /
// responseOverride, JSONPath filters / wildcards / deep scan (rejected with an error rather than guessed),
// Java number formatting (a double renders as 1.7E9 on AWS and 1700000000 here: both are JSON), and
// Velocity 1.7's "#set with a null right-hand side keeps the old value" (velocityjs assigns the null).
import { Compile, parse, type render } from 'velocityjs';
import { text } from '../json.js';

export interface ApiRequest {
  body: string;
  headers?: Record<string, string>;
  queryString?: Record<string, string>;
  pathParameters?: Record<string, string>;
  method?: string;
  resourcePath?: string;
  sourceIp?: string;
}

export interface ApiContext {
  requestId: string;
  stage: string;
  /** Milliseconds, as API Gateway's $context.requestTimeEpoch. */
  requestTimeEpoch: number;
  accountId?: string;
  apiId?: string;
  /** Defaults to the request's method. */
  httpMethod?: string;
  /** Defaults to the request's resource path. */
  resourcePath?: string;
}

/** A template that does not parse, or fails while rendering (API Gateway answers 500 for those). */
export class MappingTemplateError extends Error {
  override name = 'MappingTemplateError';
}

type CompileConfig = NonNullable<Parameters<typeof render>[3]>;
type MethodHandler = NonNullable<CompileConfig['customMethodHandlers']>[number];
type Ast = ReturnType<typeof parse>[number];

// A stage renders the same three templates for every request: parse each once (parsing was ~10% of the
// local API's CPU time per order). Rendering does not modify the AST, so one parse serves every render.
const parsedTemplates = new Map<string, Ast[]>();
const PARSED_TEMPLATES_MAX = 64;

function parseTemplate(template: string): Ast[] {
  const cached = parsedTemplates.get(template);
  if (cached) return cached;
  let asts: Ast[];
  try {
    checkBlocks(template);
    asts = parse(template);
  } catch (error) {
    throw new MappingTemplateError(`mapping template does not parse: ${(error as Error).message}`, { cause: error });
  }
  if (parsedTemplates.size >= PARSED_TEMPLATES_MAX) parsedTemplates.clear();
  parsedTemplates.set(template, asts);
  return asts;
}

export function renderMappingTemplate(
  template: string,
  request: ApiRequest,
  context: ApiContext,
  stageVariables: Record<string, string> = {},
): string {
  const asts = parseTemplate(template);
  // Fresh objects per render: velocityjs writes an `eval` helper onto objects whose methods a template calls.
  const variables = {
    input: inputVariable(request),
    util: utilVariable(),
    context: contextVariable(request, context),
    stageVariables: { ...stageVariables },
  };
  try {
    return new ApiGatewayVelocity(asts, { customMethodHandlers: javaMethods }).render(variables, undefined, true);
  } catch (error) {
    throw new MappingTemplateError(`mapping template failed to render: ${describe(error)}`, { cause: error });
  }
}

/**
 * API Gateway renders a reference that resolves to nothing as an empty string, where plain Velocity writes the
 * reference's own text (observed behaviour, e.g. "$context.authorizer.principalId" without an authorizer; the
 * variable reference does not say). velocityjs's silent mode (render's third argument) does that for undefined
 * but prints a JSON null as "null"; this subclass empties that too.
 */
class ApiGatewayVelocity extends Compile {
  protected override getReferences(ast: Ast, isVal?: boolean): string {
    const value: unknown = super.getReferences(ast, isVal);
    return (isVal && value === null ? '' : value) as string;
  }
}

/**
 * velocityjs accepts an #if/#foreach without #end (and renders what follows it twice) and a stray #end (and drops
 * everything after it); Apache Velocity, and so API Gateway, rejects both templates. So count them first.
 */
function checkBlocks(template: string): void {
  const blank = (m: string) => m.replace(/[^\n]/g, ' ');
  // Unparsed #[[...]]# blocks and comments are not code; blanked rather than cut so that line numbers still hold.
  const code = template
    .replace(/#\[\[[\s\S]*?\]\]#/g, blank)
    .replace(/#\*[\s\S]*?\*#/g, blank)
    .replace(/##[^\n]*/g, blank);
  const open: Array<{ name: string; line: number }> = [];
  const line = (index: number) => code.slice(0, index).split('\n').length;
  for (const m of code.matchAll(/(?<!\\)#(?:\{?(if|foreach|macro|define)\}?\s*\(|@\w+\s*\(|\{?(end)\b\}?)/g)) {
    if (m[2] === undefined) open.push({ name: m[1] ? `#${m[1]}` : m[0].replace(/\s*\($/, ''), line: line(m.index) });
    else if (!open.pop()) throw new Error(`the #end on line ${line(m.index)} closes no block`);
  }
  const unclosed = open.pop();
  if (unclosed) throw new Error(`the ${unclosed.name} on line ${unclosed.line} has no #end`);
}

// ---------------------------------------------------------------------------------------------------- $input

function inputVariable(request: ApiRequest) {
  let parsed = false;
  let root: unknown;
  // Parsed on first use. An empty body reads as {} (what $input.json('$') gives for a GET on API Gateway); a
  // body that is not JSON reads as the string itself, so $input.path('$') hands form-encoded bodies to templates.
  const document = () => {
    if (!parsed) {
      parsed = true;
      if (request.body === '' || request.body === undefined) root = {};
      else {
        try {
          root = JSON.parse(request.body);
        } catch {
          root = request.body;
        }
      }
    }
    return root;
  };
  const params = {
    path: { ...request.pathParameters },
    querystring: { ...request.queryString },
    header: { ...request.headers },
  };
  return {
    body: request.body,
    /** The JSONPath result as JSON text; a path that matches nothing gives '' (rendered empty, like a null). */
    json: (path: string) => {
      const value = jsonPath(document(), path);
      return value === undefined ? '' : JSON.stringify(value);
    },
    /** The JSONPath result as a value VTL can navigate. A copy, so `$x.put(...)` cannot change what $input.json sees. */
    path: (path: string) => structuredClone(jsonPath(document(), path)),
    /** No name: the map {path, querystring, header}. A name: its value from the path, then the query string, then the headers. */
    params: (name?: string) => {
      if (name === undefined) return params;
      // Header names are case-insensitive in HTTP, and Node hands them over lower-cased.
      return params.path[name] ?? params.querystring[name] ?? headerValue(params.header, name) ?? '';
    },
  };
}

/**
 * The JSONPath subset mapping templates use: `$`, `.name`, `['name']`, `["name"]`, `[n]` and `[-n]`. Anything
 * else (filters, wildcards, deep scan, slices) throws: API Gateway would evaluate it, so returning nothing here
 * would make the local API silently disagree with AWS.
 */
export function jsonPath(root: unknown, path: string): unknown {
  if (typeof path !== 'string' || !path.startsWith('$'))
    throw new TemplateFunctionError(`unsupported JSONPath ${JSON.stringify(path)}: it must start with $`);
  const step = /\.([^.[\]*\s]+)|\[(-?\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let current: unknown = root;
  for (let at = 1; at < path.length; at = step.lastIndex) {
    step.lastIndex = at;
    const m = step.exec(path);
    if (!m)
      throw new TemplateFunctionError(
        `unsupported JSONPath ${JSON.stringify(path)} at "${path.slice(at)}": only $, .name, ['name'] and [n] are emulated`,
      );
    if (current === null || typeof current !== 'object') current = undefined;
    else if (m[2] !== undefined) {
      const index = Number(m[2]);
      current = Array.isArray(current) ? current[index < 0 ? current.length + index : index] : undefined;
    } else {
      const key = m[1] ?? m[3] ?? m[4];
      // Own properties only: `$.constructor` must not reach Object.prototype.
      current =
        !Array.isArray(current) && Object.hasOwn(current, key) ? (current as Record<string, unknown>)[key] : undefined;
    }
  }
  return current;
}

// ----------------------------------------------------------------------------------------------------- $util

function utilVariable() {
  return {
    escapeJavaScript: (value: unknown) => escapeJavaScript(value),
    parseJson: (text: unknown) => {
      try {
        return JSON.parse(javaString(text)) as unknown;
      } catch (error) {
        throw new TemplateFunctionError(`$util.parseJson: not JSON (${(error as Error).message})`);
      }
    },
    urlEncode,
    urlDecode: (value: unknown) => {
      try {
        return decodeURIComponent(javaString(value).replace(/\+/g, ' '));
      } catch {
        throw new TemplateFunctionError(`$util.urlDecode: malformed %-escape in ${JSON.stringify(javaString(value))}`);
      }
    },
    base64Encode: (value: unknown) => Buffer.from(javaString(value), 'utf8').toString('base64'),
    base64Decode: (value: unknown) => Buffer.from(javaString(value), 'base64').toString('utf8'),
  };
}

/**
 * $util.escapeJavaScript, i.e. Apache Commons Lang StringEscapeUtils.escapeJavaScript: " \ and control characters
 * as in JSON, but also ' as \' (NOT valid JSON: API Gateway's documentation tells templates to undo it with
 * .replaceAll("\\'","'")), / as \/, and every UTF-16 unit above 0x7F as \uXXXX (upper-case hex).
 */
export function escapeJavaScript(value: unknown): string {
  // One regex pass over the UTF-16 units that change (an order body is mostly plain ASCII): a third of the time
  // of appending character by character.
  return javaString(value).replace(
    ESCAPED_UNITS,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/** What escapeJavaScript rewrites: control characters, " ' \ /, and every UTF-16 unit above 0x7F (no `u` flag). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it escapes
const ESCAPED_UNITS = /[\u0000-\u001f"'\\/\u0080-\uffff]/g;

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "'": "\\'",
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** $util.urlEncode: Java's URLEncoder (UTF-8), which keeps only A-Z a-z 0-9 . - * _ and writes a space as +. */
function urlEncode(value: unknown): string {
  let out = '';
  for (const byte of Buffer.from(javaString(value), 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9.*_-]/.test(c) ? c : byte === 0x20 ? '+' : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** What Java's String.valueOf makes of a value handed to a $util function; JavaScript would say "[object Object]". */
function javaString(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(javaString).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${javaString(v)}`)
      .join(', ')}}`;
  return text(value);
}

// -------------------------------------------------------------------------------------------------- $context

function contextVariable(request: ApiRequest, context: ApiContext) {
  const resourcePath = context.resourcePath ?? request.resourcePath ?? '/';
  const headers = request.headers ?? {};
  return {
    accountId: context.accountId ?? '000000000000',
    apiId: context.apiId ?? 'local',
    domainName: headerValue(headers, 'host'),
    extendedRequestId: context.requestId,
    httpMethod: context.httpMethod ?? request.method ?? 'POST',
    identity: { sourceIp: request.sourceIp ?? '127.0.0.1', userAgent: headerValue(headers, 'user-agent') },
    path: `/${context.stage}${resourcePath}`,
    protocol: 'HTTP/1.1',
    requestId: context.requestId,
    requestTime: clfTime(new Date(context.requestTimeEpoch)),
    requestTimeEpoch: context.requestTimeEpoch,
    resourcePath,
    stage: context.stage,
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** $context.requestTime: CLF, dd/MMM/yyyy:HH:mm:ss +0000. */
function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

// ------------------------------------------------------------------------------------- Java method semantics

/**
 * Java's String (and List/Map) methods where JavaScript's namesake differs or is missing. Without these,
 * `.replaceAll("\\'","'")` would look for the literal three characters \\' and never undo escapeJavaScript,
 * `.replace` would stop after the first match, and `.isEmpty()` / `.length()` would fail or print themselves.
 */
const javaMethods: MethodHandler[] = [
  onString('replaceAll', (s, [regex, replacement]) => s.replace(javaRegExp(regex, 'g'), javaReplacement(replacement))),
  onString('replaceFirst', (s, [regex, replacement]) => s.replace(javaRegExp(regex, ''), javaReplacement(replacement))),
  onString('replace', (s, [target, replacement]) => s.replaceAll(javaString(target), () => javaString(replacement))),
  onString('matches', (s, [regex]) => javaRegExp(`^(?:${javaString(regex)})$`, '').test(s)),
  onString('split', (s, [regex]) => javaSplit(s, javaRegExp(regex, 'g'))),
  onString('length', (s) => s.length),
  onString('equals', (s, [other]) => s === other),
  onString('equalsIgnoreCase', (s, [other]) => typeof other === 'string' && s.toLowerCase() === other.toLowerCase()),
  onString('contains', (s, [part]) => s.includes(javaString(part))),
  {
    uid: 'java: isEmpty',
    match: ({ property, context }) =>
      property === 'isEmpty' && (typeof context === 'string' || (typeof context === 'object' && context !== null)),
    resolve: ({ context }) =>
      typeof context === 'string' || Array.isArray(context)
        ? context.length === 0
        : Object.keys(context as object).length === 0,
  },
  {
    uid: 'java: List.contains',
    match: ({ property, context }) => property === 'contains' && Array.isArray(context),
    resolve: ({ context, params }) => (context as unknown[]).includes(params[0]),
  },
  {
    uid: 'java: Map.containsKey',
    match: ({ property, context }) =>
      property === 'containsKey' && typeof context === 'object' && context !== null && !Array.isArray(context),
    resolve: ({ context, params }) => Object.hasOwn(context as object, javaString(params[0])),
  },
];

function onString(name: string, fn: (s: string, args: unknown[]) => unknown): MethodHandler {
  return {
    uid: `java: String.${name}`,
    match: ({ property, context }) => property === name && typeof context === 'string',
    resolve: ({ context, params }) => fn(context as string, params),
  };
}

function javaRegExp(regex: unknown, flags: string): RegExp {
  try {
    return new RegExp(javaString(regex), flags);
  } catch (error) {
    throw new TemplateFunctionError(
      `invalid regular expression ${JSON.stringify(javaString(regex))}: ${(error as Error).message}`,
    );
  }
}

/** Java replacement strings: $n is group n, \x is x (JavaScript gives $&, $$, $` and $' meanings Java lacks). */
function javaReplacement(replacement: unknown): (...match: unknown[]) => string {
  const r = javaString(replacement);
  return (...match) => {
    const groups = match.slice(
      0,
      match.findIndex((m, i) => i > 0 && typeof m === 'number'),
    ) as Array<string | undefined>;
    let out = '';
    for (let i = 0; i < r.length; i++) {
      if (r[i] === '\\') {
        if (i + 1 >= r.length)
          throw new TemplateFunctionError(`replacement ${JSON.stringify(r)} ends with a lone backslash`);
        out += r[++i];
      } else if (r[i] === '$') {
        if (!/\d/.test(r[i + 1] ?? ''))
          throw new TemplateFunctionError(
            `replacement ${JSON.stringify(r)}: "$" must be followed by a group number (write \\$ for a dollar)`,
          );
        // Like Java: the first digit always counts, further digits only while they name an existing group.
        let n = Number(r[++i]);
        while (/\d/.test(r[i + 1] ?? '') && n * 10 + Number(r[i + 1]) < groups.length) n = n * 10 + Number(r[++i]);
        if (n >= groups.length) throw new TemplateFunctionError(`replacement ${JSON.stringify(r)}: no group ${n}`);
        out += groups[n] ?? '';
      } else out += r[i];
    }
    return out;
  };
}

/** Java's String.split: a regex, no capture groups in the result, trailing empty strings dropped. */
function javaSplit(s: string, regex: RegExp): string[] {
  const parts: string[] = [];
  let last = 0;
  for (const m of s.matchAll(regex)) {
    // A zero-width match at the very start yields no leading empty string (Java 8+).
    if (m[0] === '' && m.index === 0) continue;
    parts.push(s.slice(last, m.index));
    last = m.index + m[0].length;
  }
  if (parts.length === 0) return [s];
  parts.push(s.slice(last));
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

// ------------------------------------------------------------------------------------------------- errors

/** Thrown by our functions. velocityjs appends "on $ref at L/N ..." to the message; `reason` keeps the cause apart. */
class TemplateFunctionError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function describe(error: unknown): string {
  if (error instanceof TemplateFunctionError) {
    const where = error.message
      .slice(error.reason.length)
      .replace(/\s*at L\/N unknown:unknown\s*$/, '')
      .trim();
    return where ? `${error.reason} (${where})` : error.reason;
  }
  return error instanceof Error ? error.message : String(error);
}
