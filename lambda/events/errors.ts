import { AdapterError } from '../adapter-errors.js';
import type { LifecycleEventType } from './lifecycle-event.js';

/** One lifecycle event EventBridge did not accept. */
export interface FailedLifecycleEntry {
  readonly type: LifecycleEventType;
  readonly runId: string;
  /** EventBridge's `ErrorCode` for the entry, or the SDK error's name when the whole call failed. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** Some lifecycle events could not be put on the bus, even after retrying them. */
export class LifecyclePublishError extends AdapterError {
  public constructor(
    message: string,
    /** The events that were not published; every other event of the call was. */
    public readonly failedEntries: readonly FailedLifecycleEntry[],
    details: { transient: boolean; errorName?: string },
    options?: { cause?: unknown },
  ) {
    super(message, { service: 'events', operation: 'PutEvents', ...details }, options);
    this.name = 'LifecyclePublishError';
  }

  /** The types of the events that were not published, each once. */
  public get failedTypes(): LifecycleEventType[] {
    return [...new Set(this.failedEntries.map((entry) => entry.type))];
  }
}
