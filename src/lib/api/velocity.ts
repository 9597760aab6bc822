// API Gateway mapping templates, rendered locally with velocityjs (the Velocity engine). What is ours is
// only API Gateway's variables ($input, $util, $context, $stageVariables) as the "API Gateway mapping
// template and access logging variable reference" documents them, and Java's String.replaceAll (regex)
// semantics, which templates use to undo $util.escapeJavaScript's \' (not valid JSON).
import { render } from 'velocityjs';

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
  requestTimeEpoch: number;
  accountId?: string;
  apiId?: string;
  httpMethod?: string;
  resourcePath?: string;
}

export class MappingTemplateError extends Error {
  override name = 'MappingTemplateError';
}

export function renderMappingTemplate(template: string, request: ApiRequest, context: ApiContext, stageVariables: Record<string, string> = {}): string {
  let parsedBody: unknown;
  let parsed = false;
  const body = () => {
    if (!parsed) {
      parsed = true;
      try {
        parsedBody = request.body ? JSON.parse(request.body) : {};
      } catch {
        parsedBody = undefined;
      }
    }
    return parsedBody;
  };
  const params = {
    path: request.pathParameters ?? {},
    querystring: request.queryString ?? {},
    header: request.headers ?? {},
  };
  const input = {
    body: request.body,
    json: (path: string) => {
      const value = jsonPath(body(), path);
      return value === undefined ? '' : JSON.stringify(value);
    },
    path: (path: string) => jsonPath(body(), path),
    params: (name?: string) => {
      if (name === undefined) return params;
      // API Gateway searches path, then query string, then headers.
      return params.path[name] ?? params.querystring[name] ?? headerValue(params.header, name) ?? '';
    },
  };
  const util = {
    escapeJavaScript,
    parseJson: (text: string) => JSON.parse(text),
    urlEncode: (text: string) => encodeURIComponent(text).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    urlDecode: (text: string) => decodeURIComponent(text.replace(/\+/g, ' ')),
    base64Encode: (text: string) => Buffer.from(text, 'utf8').toString('base64'),
    base64Decode: (text: string) => Buffer.from(text, 'base64').toString('utf8'),
  };
  const requestTime = new Date(context.requestTimeEpoch);
  const ctx = {
    requestId: context.requestId,
    extendedRequestId: context.requestId,
    stage: context.stage,
    requestTimeEpoch: context.requestTimeEpoch,
    requestTime: formatRequestTime(requestTime),
    accountId: context.accountId ?? '000000000000',
    apiId: context.apiId ?? 'local',
    httpMethod: context.httpMethod ?? request.method ?? 'POST',
    resourcePath: context.resourcePath ?? request.resourcePath ?? '/',
    identity: { sourceIp: request.sourceIp ?? '127.0.0.1' },
  };
  try {
    return render(template, { input, util, context: ctx, stageVariables }, undefined, {
      customMethodHandlers: [
        {
          uid: 'java-string-replaceAll',
          // Java's String.replaceAll takes a regular expression; JavaScript's takes a literal string.
          match: ({ property, context: target }) => (property === 'replaceAll' || property === 'replaceFirst') && typeof target === 'string',
          resolve: ({ property, context: target, params: args }) =>
            (target as string).replace(new RegExp(String(args[0]), property === 'replaceAll' ? 'g' : ''), String(args[1]).replace(/\\\$/g, '$$$$')),
        },
      ],
    });
  } catch (error) {
    throw new MappingTemplateError(`mapping template failed to render: ${(error as Error).message}`);
  }
}

/**
 * $util.escapeJavaScript: Apache Commons StringEscapeUtils.escapeJavaScript, which API Gateway uses.
 * It escapes ' as \' (invalid in JSON: templates must undo it) and / as \/, and writes every character
 * outside ASCII as \uXXXX.
 */
export function escapeJavaScript(text: unknown): string {
  const s = String(text ?? '');
  let out = '';
  for (const ch of s) {
    for (let i = 0; i < ch.length; i++) {
      const code = ch.charCodeAt(i);
      const c = ch[i]!;
      if (code > 0x7f) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      else if (c === '"') out += '\\"';
      else if (c === "'") out += "\\'";
      else if (c === '\\') out += '\\\\';
      else if (c === '/') out += '\\/';
      else if (c === '\b') out += '\\b';
      else if (c === '\f') out += '\\f';
      else if (c === '\n') out += '\\n';
      else if (c === '\r') out += '\\r';
      else if (c === '\t') out += '\\t';
      else if (code < 0x20) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      else out += c;
    }
  }
  return out;
}

/** The JSONPath subset API Gateway templates use: `$`, `$.a.b`, `$.a[0]`, `$['a-b']`. */
export function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  let cur: unknown = root;
  let rest = path.slice(1);
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    let key: string | number;
    if ((m = /^\.([^.[\]]+)/.exec(rest))) key = m[1]!;
    else if ((m = /^\[(\d+)\]/.exec(rest))) key = Number(m[1]);
    else if ((m = /^\['([^']*)'\]/.exec(rest)) || (m = /^\["([^"]*)"\]/.exec(rest))) key = m[1]!;
    else return undefined;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
    rest = rest.slice(m[0].length);
  }
  return cur;
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** $context.requestTime: CLF format, e.g. 25/Nov/2026:10:00:00 +0000. */
function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}
