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
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
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
