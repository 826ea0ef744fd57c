import { describe, it, expect } from 'vitest';
import { MAX_DURATION_SECONDS, formatDuration, parseDuration } from '../../lambda/engine/duration.js';
import { InvalidDurationError, RefusalError } from '../../lambda/engine/errors.js';

const ACCEPTED =
  'accepted: a positive whole number of seconds, or a number followed by s, m, h or d (e.g. 30s, 15m, 1h, 2d)';

describe('parseDuration', () => {
  it.each([
    [1, 1],
    [3600, 3600],
    [MAX_DURATION_SECONDS, 31_536_000],
    ['3600', 3600],
    ['007', 7],
    ['30s', 30],
    ['15m', 900],
    ['1h', 3600],
    ['2d', 172_800],
    ['365d', 31_536_000],
    ['8760h', 31_536_000],
  ] as const)('reads %j as %d seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each([
    [0, 'it is zero; it must be positive'],
    ['0', 'it is zero; it must be positive'],
    ['0h', 'it is zero; it must be positive'],
    [-1, 'it is negative; it must be positive'],
    ['-1', 'it is negative; it must be positive'],
    ['-5m', 'it is negative; it must be positive'],
    [-Infinity, 'it is negative; it must be positive'],
    [1.5, 'it is a fraction; it must be a whole number of seconds'],
    ['1.5h', 'it is a fraction; use a whole number of a smaller unit (90m, not 1.5h)'],
    ['2.5', 'it is a fraction; use a whole number of a smaller unit (90m, not 1.5h)'],
    ['', 'it is empty'],
    ['15w', 'unit "w" is not one of s, m, h, d'],
    ['1H', 'unit "H" is not one of s, m, h, d'],
    ['10ms', 'unit "ms" is not one of s, m, h, d'],
    ['1h30m', 'it is not digits followed by at most one unit'],
    [' 1h', 'it is not digits followed by at most one unit'],
    ['1 h', 'it is not digits followed by at most one unit'],
    ['h', 'it is not digits followed by at most one unit'],
    [MAX_DURATION_SECONDS + 1, 'it is over the maximum of 365 days (31536000 seconds)'],
    [Infinity, 'it is over the maximum of 365 days (31536000 seconds)'],
    ['366d', 'it is over the maximum of 365 days (31536000 seconds)'],
    ['9'.repeat(400), 'it is over the maximum of 365 days (31536000 seconds)'],
    [true, 'expected a number or a string, got boolean'],
    [null, 'expected a number or a string, got null'],
    [[60], 'expected a number or a string, got an array'],
    [{ seconds: 60 }, 'expected a number or a string, got object'],
  ] as const)('refuses %j: %s', (value, reason) => {
    let error: unknown;
    try {
      parseDuration(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect(error).toBeInstanceOf(RefusalError);
    expect(error).toMatchObject({ name: 'InvalidDurationError', code: 'invalid_duration', value });
    expect((error as Error).message).toBe(`invalid duration ${JSON.stringify(value)}: ${reason}; ${ACCEPTED}`);
  });

  it('says NaN rather than the null JSON would show', () => {
    expect(() => parseDuration(Number.NaN)).toThrow(`invalid duration null: NaN is not a number; ${ACCEPTED}`);
  });

  it('refuses undefined', () => {
    expect(() => parseDuration(undefined)).toThrow('expected a number or a string, got undefined');
  });

  it('refuses values JSON cannot quote with the domain error', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(() => parseDuration(cyclic)).toThrow(InvalidDurationError);
    expect(() => parseDuration(10n)).toThrow(`invalid duration "10": expected a number or a string, got bigint; ${ACCEPTED}`);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [60, '1m'],
    [90, '1m30s'],
    [3600, '1h'],
    [5400, '1h30m'],
    [86_400, '1d'],
    [90_061, '1d1h1m1s'],
    [183_600, '2d3h'],
    [MAX_DURATION_SECONDS, '365d'],
  ] as const)('formats %d as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips single-unit results', () => {
    for (const seconds of [45, 900, 3600, 172_800]) expect(parseDuration(formatDuration(seconds))).toBe(seconds);
  });

  it.each([-1, 1.5, Number.NaN, Infinity])('refuses %d', (seconds) => {
    expect(() => formatDuration(seconds)).toThrow(InvalidDurationError);
  });
});
