import { UserError } from './errors.js';

/** Editors on Windows save UTF-8 with a byte-order mark; JSON.parse refuses it, users cannot see it. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses JSON a user wrote; a syntax error is one line naming `where` (a file or a flag). */
export function parseUserJson(text: string, where: string): unknown {
  try {
    return JSON.parse(withoutBom(text));
  } catch (error) {
    throw new UserError(`${where}: not valid JSON (${firstLine((error as Error).message)})`, [
      'Fix the JSON syntax, e.g. with `npx jsonlint`.',
    ]);
  }
}

/** Parses JSON from a peer (an HTTP body, a log line); anything else comes back as the text itself. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** JSON with object keys sorted and undefined members dropped: equal documents give equal strings. */
export function canonical(value: unknown): string {
  // A loop that appends, rather than map/filter/join: the deployer compares every policy, pattern and definition
  // it reads with the one it wants this way, and the API document is hashed through it on every deploy.
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (canonical(value[i]) ?? '');
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonical(record[key])}`;
  }
  return `${out}}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

/**
 * A value rendered as text: a string unchanged, an object (or array) as JSON, anything else as `String()` makes
 * of it. Where `String()` would say "[object Object]", this shows what is there.
 */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}
