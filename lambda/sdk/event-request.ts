import type { JsonValue } from './json.js';
import type { StepName } from './steps.js';

/** What an {@link EventRequest} carries besides its step. */
export interface EventRequestPayload {
  /** Target to act on; defaults to the run's requested target. */
  readonly targetSrn?: string;
  /** Duration in seconds or as `30s`/`15m`/`1h`/`2d`; defaults to the run's requested one. */
  readonly duration?: number | string;
  /** For `ignore`: why the event was dropped, told to the actor. */
  readonly message?: string;
  /** Any other fields, passed on as the event's `fields`. */
  readonly fields: Readonly<Record<string, JsonValue>>;
}

// Declared before the class: its computed member key is evaluated when the class is defined.
const EVENT_REQUEST_BRAND: unique symbol = Symbol.for('lambda-escalation.EventRequest') as never;

/**
 * A request to fire an event, as returned by `ApprovalTemplate.approve()` and friends.
 * Returned from an `on*` hook, it replaces the step being processed.
 */
export class EventRequest {
  public constructor(
    public readonly step: StepName,
    public readonly payload: EventRequestPayload,
  ) {}

  /** True for values that are EventRequests, even from another copy of the SDK. */
  public static isEventRequest(value: unknown): value is EventRequest {
    if (value instanceof EventRequest) return true;
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [EVENT_REQUEST_BRAND]?: unknown })[EVENT_REQUEST_BRAND] === true
    );
  }

  /** Marks instances so a hooks bundle with its own copy of the SDK is still recognised. */
  public get [EVENT_REQUEST_BRAND](): true {
    return true;
  }
}
