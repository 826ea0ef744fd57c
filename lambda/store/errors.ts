import type { RunRecord } from '../engine/run.js';
import { LambdaEscalationError } from '../sdk/errors.js';

/** A conditional write lost: someone else wrote the run first. Carries what is stored now. */
export class RunConflictError extends LambdaEscalationError {
  public constructor(
    public readonly runId: string,
    public readonly expectedVersion: number,
    public readonly current: RunRecord | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `run ${runId} changed under us: expected version ${expectedVersion}, found ${current?.version ?? 'none'}`,
      options,
    );
    this.name = 'RunConflictError';
  }
}

/** The store could not be reached or refused for a reason worth retrying (throttling, 5xx). */
export class StoreUnavailableError extends LambdaEscalationError {
  public readonly transient = true;
  public constructor(operation: string, options?: { cause?: unknown }) {
    super(`the run store failed during ${operation}: ${describeCause(options?.cause)}`, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A stored run that cannot be read back (corrupt, or written by an incompatible version). */
export class CorruptRunError extends LambdaEscalationError {
  public constructor(public readonly runId: string, reason: string) {
    super(`run ${runId} is stored in a form this version cannot read: ${reason}`);
    this.name = 'CorruptRunError';
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
