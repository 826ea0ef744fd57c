import { InvalidDurationError } from './errors.js';

/**
 * The longest duration {@link parseDuration} accepts: 365 days. A sanity bound on the
 * input, not a policy; a flow's own `maxDurationSeconds` is normally far lower.
 */
export const MAX_DURATION_SECONDS = 365 * 86_400;

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;
type Unit = keyof typeof UNIT_SECONDS;

const DURATION_PATTERN = /^(\d+)([smhd])?$/;

/**
 * A duration in whole seconds, from a positive whole number of seconds (`3600`), a string
 * of digits (`"3600"`) or a number with one unit (`30s`, `15m`, `1h`, `2d`).
 *
 * @throws InvalidDurationError for zero, negatives, fractions, NaN, empty strings, other
 *   units or forms, other types, and anything over {@link MAX_DURATION_SECONDS}
 */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number') return checkSeconds(value, value);
  if (typeof value !== 'string') {
    throw refuse(value, `expected a number or a string, got ${describeType(value)}`);
  }
  if (value === '') throw refuse(value, 'it is empty');
  const match = DURATION_PATTERN.exec(value);
  if (!match) throw refuse(value, whyMalformed(value));
  const unit = (match[2] ?? 's') as Unit;
  return checkSeconds(value, Number(match[1]) * UNIT_SECONDS[unit]);
}

/**
 * `seconds` for a person to read: `45s`, `1h`, `1h30m`, `2d3h`. Only single-unit results
 * (`1h`, `90s`) parse back with {@link parseDuration}.
 *
 * @throws InvalidDurationError when `seconds` is not a whole number of zero or more
 */
export function formatDuration(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw refuse(seconds, 'only a whole number of seconds, zero or more, can be formatted');
  }
  if (seconds === 0) return '0s';
  let rest = seconds;
  let text = '';
  for (const unit of Object.keys(UNIT_SECONDS) as Unit[]) {
    const count = Math.floor(rest / UNIT_SECONDS[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * UNIT_SECONDS[unit];
  }
  return text;
}

function checkSeconds(value: unknown, seconds: number): number {
  if (Number.isNaN(seconds)) throw refuse(value, 'NaN is not a number');
  if (seconds === 0) throw refuse(value, 'it is zero; it must be positive');
  if (seconds < 0) throw refuse(value, 'it is negative; it must be positive');
  // Before the fraction check: Infinity is not an integer, but "too long" is the truth.
  if (seconds > MAX_DURATION_SECONDS) {
    throw refuse(value, `it is over the maximum of 365 days (${MAX_DURATION_SECONDS} seconds)`);
  }
  if (!Number.isInteger(seconds)) throw refuse(value, 'it is a fraction; it must be a whole number of seconds');
  return seconds;
}

function whyMalformed(text: string): string {
  if (/^-\d/.test(text)) return 'it is negative; it must be positive';
  if (/^\d*\.\d+[smhd]?$/.test(text)) return 'it is a fraction; use a whole number of a smaller unit (90m, not 1.5h)';
  const unit = /^\d+(\D.*)$/.exec(text)?.[1];
  if (unit !== undefined && /^[a-zA-Z]+$/.test(unit)) return `unit "${unit}" is not one of s, m, h, d`;
  return 'it is not digits followed by at most one unit';
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

// InvalidDurationError quotes the value with JSON.stringify, which throws for BigInts and
// cyclic objects; quote their String() instead so the caller still gets the domain error.
function refuse(value: unknown, reason: string): InvalidDurationError {
  try {
    return new InvalidDurationError(value, reason);
  } catch {
    return new InvalidDurationError(String(value), reason);
  }
}
