import { UserError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The one duration grammar of every flag: `500ms`, `2s`, `1.5m`, `1h`, `1d`; a bare number means seconds. */
export const DURATION_HELP = 'a duration such as 500ms, 2s, 1m or 1h (a bare number means seconds)';

/** Parses a duration into milliseconds; undefined when `text` is not one. */
export function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS];
}

/** Parses a duration flag, with `min` milliseconds; errors name the flag. */
export function parseDuration(text: string, flag: string, min = 0): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UserError(`${flag} must be ${DURATION_HELP} (got ${JSON.stringify(text)})`);
  if (ms < min) throw new UserError(`${flag} must be at least ${min} ms (got ${JSON.stringify(text)})`);
  return ms;
}

/** `--since`: a duration back from `now`, or an ISO 8601 time. */
export function parseSince(text: string, now = Date.now()): number {
  const ms = durationMs(text);
  if (ms !== undefined) return now - ms;
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new UserError(`--since must be ${DURATION_HELP}, or an ISO 8601 time (got ${JSON.stringify(text)})`);
  return time;
}

/** A duration as people write it: `1ms`, `2s`, `1.5m`, `1h` (the largest unit that is at least 1). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const) {
    if (ms >= size) return `${Number((ms / size).toFixed(2))}${unit}`;
  }
  return `${ms}ms`;
}
