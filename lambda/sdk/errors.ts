/**
 * Every error the SDK throws. One base class; each subclass sets `name` and carries the
 * data a caller needs to react, not only a message.
 */
export class LambdaEscalationError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaEscalationError';
  }
}

/** `getStepOutput()` was called outside a hook or custom strategy. */
export class NoRunContextError extends LambdaEscalationError {
  public constructor() {
    super(
      'getStepOutput() was called outside a run: call it from a hook or a custom strategy, ' +
        'which the engine runs inside the run they belong to',
    );
    this.name = 'NoRunContextError';
  }
}

/** The step asked for has no saved output in this run (it has not run, or saved nothing). */
export class StepOutputNotFoundError extends LambdaEscalationError {
  public constructor(
    public readonly runId: string,
    public readonly step: string,
  ) {
    super(`run ${runId} has no saved output for step "${step}": only escalate and deescalate save outputs, once they have run`);
    this.name = 'StepOutputNotFoundError';
  }
}
