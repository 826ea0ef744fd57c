/**
 * A construct prop that cannot work. The message names the prop, the value received and
 * what is allowed, so the fix is obvious from the synth output alone.
 */
export class InvalidPropsError extends Error {
  public constructor(
    /** The prop, as a path: `targets[1].srn`. */
    public readonly prop: string,
    /** The value received. */
    public readonly value: unknown,
    /** What is allowed, or the fix. */
    allowed: string,
  ) {
    super(`Invalid ${prop}: ${describeValue(value)}; ${allowed}`);
    this.name = 'InvalidPropsError';
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (typeof value === 'object' && value !== null && 'toHumanString' in value && typeof value.toHumanString === 'function') {
    return String(value.toHumanString());
  }
  return JSON.stringify(value) ?? String(value);
}
