import {
  EventBridgeClient,
  PutEventsCommand,
  type EventBridgeClientConfig,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { LifecycleEvent, LifecycleEventPublisher } from './lifecycle-event.js';
import { AdapterConfigurationError, awsErrorName, describeAwsError, isTransientAwsError } from '../adapter-errors.js';
import { LifecyclePublishError, type FailedLifecycleEntry } from './errors.js';

/** `source` of lifecycle events. Distinct from the ingress sources, so the flow's rule never feeds them back. */
export const LIFECYCLE_EVENT_SOURCE = 'lambda-escalation.lifecycle';

export interface EventBridgeLifecyclePublisherProps {
  /** A client to use. Give this or `clientConfig`, not both. @default a client built from `clientConfig` */
  readonly client?: EventBridgeClient;
  /** Configuration for the client this publisher builds. @default {} (region and credentials from the environment) */
  readonly clientConfig?: EventBridgeClientConfig;
  /** Name or ARN of the bus the events go on. */
  readonly eventBusName: string;
  /** `source` of the events. @default 'lambda-escalation.lifecycle' */
  readonly source?: string;
  /** How many times entries EventBridge did not accept are sent again. @default 3 */
  readonly maxRetries?: number;
  /** Wait before the first retry, doubled for each next one. @default 100 */
  readonly retryBaseDelayMillis?: number;
  /** How to wait; tests pass one that does not. @default a timer */
  readonly sleep?: (millis: number) => Promise<void>;
}

// PutEvents takes at most 10 entries per call.
// @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
const MAX_ENTRIES_PER_CALL = 10;

// Entry error codes that can pass on their own; anything else (a malformed entry, a
// missing permission) is permanent, so the whole error is reported as not transient.
const TRANSIENT_ENTRY_ERRORS = new Set(['InternalFailure', 'InternalException', 'ThrottlingException', 'ServiceUnavailable']);

interface PendingEntry {
  readonly event: LifecycleEvent;
  readonly entry: PutEventsRequestEntry;
}

const defaultSleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));

/**
 * Puts lifecycle events on an EventBridge bus, `detail-type` = the event's type and
 * `detail` = the event. PutEvents can accept some entries of a call and refuse others
 * (`FailedEntryCount`); only the refused ones are sent again, a few times with backoff.
 */
export class EventBridgeLifecyclePublisher implements LifecycleEventPublisher {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string;
  private readonly source: string;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMillis: number;
  private readonly sleep: (millis: number) => Promise<void>;

  public constructor(props: EventBridgeLifecyclePublisherProps) {
    if (props.client && props.clientConfig) {
      throw new AdapterConfigurationError(
        'EventBridgeLifecyclePublisher: give either client or clientConfig, not both (clientConfig only configures a client this publisher builds)',
      );
    }
    this.client = props.client ?? new EventBridgeClient(props.clientConfig ?? {});
    this.eventBusName = props.eventBusName;
    this.source = props.source ?? LIFECYCLE_EVENT_SOURCE;
    this.maxRetries = props.maxRetries ?? 3;
    this.retryBaseDelayMillis = props.retryBaseDelayMillis ?? 100;
    this.sleep = props.sleep ?? defaultSleep;
  }

  public async publish(events: readonly LifecycleEvent[]): Promise<void> {
    const failed: FailedLifecycleEntry[] = [];
    for (let start = 0; start < events.length; start += MAX_ENTRIES_PER_CALL) {
      const batch = events.slice(start, start + MAX_ENTRIES_PER_CALL).map((event) => ({ event, entry: this.toEntry(event) }));
      try {
        failed.push(...(await this.putWithRetries(batch)));
      } catch (error) {
        if (!(error instanceof LifecyclePublishError)) throw error;
        // A whole call failed: report this batch, what failed before it, and the later
        // batches that were never sent, so the caller knows exactly what is missing.
        const notSent = events
          .slice(start + MAX_ENTRIES_PER_CALL)
          .map((event): FailedLifecycleEntry => ({ type: event.type, runId: event.runId, errorCode: 'NotSent' }));
        throw new LifecyclePublishError(
          error.message + (notSent.length > 0 ? `; ${notSent.length} later event(s) were not sent` : ''),
          [...failed, ...error.failedEntries, ...notSent],
          { transient: error.transient, errorName: error.errorName },
          { cause: error.cause },
        );
      }
    }
    if (failed.length === 0) return;
    const error = new LifecyclePublishError(
      `${failed.length} of ${events.length} lifecycle event(s) could not be put on bus ${this.eventBusName} after ${this.maxRetries} retries: ` +
        failed.map((entry) => `${entry.type} (run ${entry.runId}: ${entry.errorCode ?? 'unknown error'})`).join(', '),
      failed,
      { transient: failed.every((entry) => entry.errorCode !== undefined && TRANSIENT_ENTRY_ERRORS.has(entry.errorCode)) },
    );
    throw error;
  }

  /** Sends one batch, then its refused entries again; returns what never got through. */
  private async putWithRetries(batch: readonly PendingEntry[]): Promise<FailedLifecycleEntry[]> {
    let pending = batch;
    let failures: FailedLifecycleEntry[] = [];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await this.sleep(this.retryBaseDelayMillis * 2 ** (attempt - 1));
      const results = await this.put(pending);
      const stillPending: PendingEntry[] = [];
      failures = [];
      pending.forEach((item, index) => {
        // Results line up with the request's entries; an entry without an EventId failed.
        const result: PutEventsResultEntry | undefined = results[index];
        if (result?.EventId && !result.ErrorCode) return;
        stillPending.push(item);
        failures.push({
          type: item.event.type,
          runId: item.event.runId,
          errorCode: result?.ErrorCode,
          errorMessage: result?.ErrorMessage,
        });
      });
      pending = stillPending;
      if (attempt >= this.maxRetries) break;
    }
    return pending.length === 0 ? [] : failures;
  }

  private async put(pending: readonly PendingEntry[]): Promise<PutEventsResultEntry[]> {
    try {
      const response = await this.client.send(new PutEventsCommand({ Entries: pending.map((item) => item.entry) }));
      return response.Entries ?? [];
    } catch (error) {
      // The SDK has already retried throttling and 5xx with its own strategy; what reaches
      // here is final for this call.
      throw new LifecyclePublishError(
        `PutEvents to bus ${this.eventBusName} failed for ${pending.map((item) => item.event.type).join(', ')}: ${describeAwsError(error)}`,
        pending.map((item) => ({ type: item.event.type, runId: item.event.runId, errorCode: awsErrorName(error) })),
        { transient: isTransientAwsError(error), errorName: awsErrorName(error) },
        { cause: error },
      );
    }
  }

  private toEntry(event: LifecycleEvent): PutEventsRequestEntry {
    const time = new Date(event.at);
    return {
      EventBusName: this.eventBusName,
      Source: this.source,
      DetailType: event.type,
      Detail: JSON.stringify(event),
      ...(Number.isNaN(time.getTime()) ? {} : { Time: time }),
    };
  }
}
