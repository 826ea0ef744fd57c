import { LambdaEscalationError } from './sdk/errors.js';

/**
 * An AWS call made by one of the engine's adapters (scheduler, lifecycle publisher, and
 * the store and strategy adapters when they need it) failed. The raw SDK exception is
 * kept as `cause`; callers decide on `transient` alone whether a retry can help.
 */
export class AdapterError extends LambdaEscalationError {
  /** AWS service the call went to, e.g. `scheduler`. */
  public readonly service: string;
  /** API operation, e.g. `CreateSchedule`. */
  public readonly operation: string;
  /** Whether the same call may succeed later (throttling, 5xx, network): retry these only. */
  public readonly transient: boolean;
  /** The SDK error's name (`ThrottlingException`, …) when there was one. */
  public readonly errorName?: string;

  public constructor(
    message: string,
    details: { service: string; operation: string; transient: boolean; errorName?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AdapterError';
    this.service = details.service;
    this.operation = details.operation;
    this.transient = details.transient;
    this.errorName = details.errorName;
  }
}

/** An adapter was built with options that contradict each other. */
export class AdapterConfigurationError extends LambdaEscalationError {
  public constructor(message: string) {
    super(message);
    this.name = 'AdapterConfigurationError';
  }
}

interface AwsErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

// Error names AWS services use for throttling and server-side trouble, plus the Node and
// smithy names for a call that never got an answer. All of them may pass on their own.
const TRANSIENT_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'InternalServerException',
  'InternalServerError',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

function asAwsError(error: unknown): AwsErrorShape | undefined {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : undefined;
}

/** The SDK error's name (`ConflictException`, …), if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  const name = asAwsError(error)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** Whether an SDK error is throttling, a 5xx or a network failure: worth another try later. */
export function isTransientAwsError(error: unknown): boolean {
  const shape = asAwsError(error);
  if (!shape) return false;
  if (shape.$retryable !== undefined && shape.$retryable !== null) return true;
  if (shape.$fault === 'server') return true;
  const status = shape.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  const name = awsErrorName(error);
  if (name !== undefined && TRANSIENT_ERROR_NAMES.has(name)) return true;
  return typeof shape.code === 'string' && TRANSIENT_ERROR_NAMES.has(shape.code);
}

/** A short description of an SDK error for a message: `Name: message`. */
export function describeAwsError(error: unknown): string {
  const name = awsErrorName(error) ?? 'Error';
  const message = asAwsError(error)?.message;
  return typeof message === 'string' && message.length > 0 ? `${name}: ${message}` : name;
}
