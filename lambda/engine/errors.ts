import { LambdaEscalationError } from '../sdk/errors.js';

/**
 * Why the engine refused an event. A refusal changes nothing: the dispatcher reports it
 * to the caller (and the log) and writes nothing.
 */
export class RefusalError extends LambdaEscalationError {
  public constructor(
    message: string,
    /** A stable code a caller can switch on. */
    public readonly code: RefusalCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RefusalError';
  }
}

export type RefusalCode =
  | 'malformed_event'
  | 'invalid_duration'
  | 'unknown_run'
  | 'unknown_target'
  | 'run_exists'
  | 'transition_not_allowed'
  | 'not_an_approver'
  | 'self_approval'
  | 'revoke_not_allowed'
  | 'source_not_allowed'
  | 'duration_over_maximum'
  | 'overlapping_run'
  | 'backward_hook_result';

/** A duration that is not a positive whole number of seconds nor `30s`/`15m`/`1h`/`2d`. */
export class InvalidDurationError extends RefusalError {
  public constructor(public readonly value: unknown, reason: string) {
    super(`invalid duration ${JSON.stringify(value)}: ${reason}; accepted: a positive whole number of seconds, or a number followed by s, m, h or d (e.g. 30s, 15m, 1h, 2d)`, 'invalid_duration');
    this.name = 'InvalidDurationError';
  }
}
