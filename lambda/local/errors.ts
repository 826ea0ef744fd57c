import { LambdaEscalationError } from '../sdk/errors.js';

/**
 * Local mode was given something it cannot use: a targets file, hooks module or flow
 * override that is wrong, or a port that is taken. The message names the file or option,
 * what was found and what is accepted, so the CLI can print it as it is.
 */
export class LocalConfigError extends LambdaEscalationError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalConfigError';
  }
}

/** The CLI could not reach a running `serve`, or it answered with an error. */
export class LocalControlError extends LambdaEscalationError {
  public constructor(
    message: string,
    /** The HTTP status the control API answered with; absent when it could not be reached. */
    public readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LocalControlError';
  }
}
