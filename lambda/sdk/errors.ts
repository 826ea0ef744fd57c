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

/** A named part of an SRN, `<org>:<model>[:<type>]:<slug>:<version>[:<identifier>]`. */
export type SRNPart = 'org' | 'model' | 'type' | 'slug' | 'version' | 'identifier';

/** The pattern every part but the version must match, as shown in messages. */
const SRN_PART_RULE = 'must match ^[a-zA-Z0-9-_]+$ (letters, digits, "-" and "_")';

/** Text that is not a valid SRN. The subclasses name the common ways it goes wrong. */
export class InvalidSRNError extends LambdaEscalationError {
  public constructor(
    /** The SRN text as received. */
    public readonly srn: string,
    /** The part that is wrong; `undefined` when the SRN as a whole is (too many parts, a trailing `:`). */
    public readonly part: SRNPart | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid SRN ${JSON.stringify(srn)}: ${reason}`, options);
    this.name = 'InvalidSRNError';
  }
}

/** The SRN ends with `:`. */
export class TrailingSeparatorError extends InvalidSRNError {
  public constructor(srn: string) {
    super(srn, undefined, 'it ends with ":"; remove the trailing separator');
    this.name = 'TrailingSeparatorError';
  }
}

/** A part other than the version has characters outside `[a-zA-Z0-9-_]`. */
export class InvalidSlugError extends InvalidSRNError {
  public constructor(
    srn: string,
    part: Exclude<SRNPart, 'version'>,
    /** The offending part's text. */
    public readonly value: string,
  ) {
    super(srn, part, `${part} ${JSON.stringify(value)} ${SRN_PART_RULE}`);
    this.name = 'InvalidSlugError';
  }
}

/** The version is neither `latest` nor `N.N.N`. */
export class InvalidVersionError extends InvalidSRNError {
  public constructor(
    srn: string,
    /** The offending version text. */
    public readonly value: string,
    /** Why the version may be in the wrong place, when that is the likelier mistake. */
    hint?: string,
  ) {
    super(srn, 'version', `version ${JSON.stringify(value)} must be "latest" or N.N.N with 1-3 digits each${hint ? `; ${hint}` : ''}`);
    this.name = 'InvalidVersionError';
  }
}

/** A part is absent or empty: fewer than four parts, `::`, or a type its model requires. */
export class MissingComponentError extends InvalidSRNError {
  public constructor(srn: string, part: SRNPart, reason: string) {
    super(srn, part, reason);
    this.name = 'MissingComponentError';
  }
}

/** An `ApprovalTemplate` factory was given arguments it cannot turn into an event. */
export class InvalidEventRequestError extends LambdaEscalationError {
  public constructor(
    /** The step the request was for. */
    public readonly step: string,
    /** The argument that is wrong. */
    public readonly field: string,
    reason: string,
  ) {
    super(`invalid ${step} request: ${field} ${reason}`);
    this.name = 'InvalidEventRequestError';
  }
}

/** A hooks module whose default export is not an object of known hooks. */
export class InvalidHooksError extends LambdaEscalationError {
  public constructor(message: string) {
    super(message);
    this.name = 'InvalidHooksError';
  }
}
