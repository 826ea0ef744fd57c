import type { DispatchResult, SweepResult } from '../dispatcher.js';
import { SCHEDULER_EVENT_SOURCE } from '../scheduler/eventbridge-step-scheduler.js';
import type { EventBridgeEvent } from './put-events-server.js';
import type { EventOutcome } from './run-view.js';

export interface EventDeliveryProps {
  /** What the bus's rule targets: the dispatcher's `handle`. Throws only for transient failures. */
  readonly handle: (event: EventBridgeEvent) => Promise<DispatchResult | SweepResult>;
  /** Where the line for each event goes. */
  readonly log: (line: string) => void;
  /** Attempts at an event whose handling throws before it is reported lost. @default 4 */
  readonly maxAttempts?: number;
  /** Wait before the first retry; doubled for each one after. @default 100 */
  readonly retryBaseDelayMs?: number;
  /** Outcomes kept for `GET /events/<id>`; the oldest are dropped first. @default 1000 */
  readonly keep?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Local mode's bus-to-dispatcher delivery, doing what EventBridge and Lambda do for a
 * rule's target: an event whose handling throws is retried with backoff; one that still
 * fails is logged loudly rather than dropped silently. Events are handled concurrently,
 * as in AWS (the dispatcher's conditional writes make that safe). Each outcome is kept
 * so `fire` can tell its user what became of the event.
 */
export class EventDelivery {
  private readonly handle: EventDeliveryProps['handle'];
  private readonly log: (line: string) => void;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly keep: number;
  private readonly now: () => number;
  private readonly outcomes = new Map<string, EventOutcome>();
  private readonly inFlight = new Set<Promise<EventOutcome>>();
  private closed = false;

  public constructor(props: EventDeliveryProps) {
    this.handle = props.handle;
    this.log = props.log;
    this.maxAttempts = props.maxAttempts ?? 4;
    this.retryBaseDelayMs = props.retryBaseDelayMs ?? 100;
    this.keep = props.keep ?? 1000;
    this.now = props.now ?? Date.now;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(`EventDelivery: maxAttempts must be a whole number of 1 or more, got ${this.maxAttempts}`);
    }
  }

  /** Handles one event, with retries. Never throws: a failure is in the outcome. */
  public deliver(event: EventBridgeEvent): Promise<EventOutcome> {
    const running = this.run(event);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    return running;
  }

  /** What became of an event, while it is kept. */
  public outcome(eventId: string): EventOutcome | undefined {
    return this.outcomes.get(eventId);
  }

  /**
   * Stops retrying and resolves once every event being handled is done, or after
   * `timeoutMs`: stopping then leaves no run claimed by an invocation cut short.
   */
  public async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async run(event: EventBridgeEvent): Promise<EventOutcome> {
    const started = this.now();
    const runId = typeof event.detail.runId === 'string' ? event.detail.runId : undefined;
    const base = {
      eventId: event.id,
      step: event['detail-type'],
      source: event.source,
      ...(runId !== undefined ? { runId } : {}),
      receivedAt: new Date(started).toISOString(),
    };
    this.remember({ ...base, status: 'processing', attempts: 0 });
    let lastError: unknown;
    let attempts = 0;
    while (attempts < this.maxAttempts) {
      attempts += 1;
      try {
        const result = await this.handle(event);
        const ms = this.now() - started;
        this.log(formatDispatch(event, result, ms, attempts));
        return this.remember({ ...base, status: 'done', result, attempts, ms });
      } catch (error) {
        lastError = error;
        if (attempts === this.maxAttempts || this.closed) break;
        const wait = this.retryBaseDelayMs * 2 ** (attempts - 1);
        this.log(`retry       ${event['detail-type']} run ${runId ?? '-'}: attempt ${attempts} of ${this.maxAttempts} threw ${describe(error)}; again in ${wait} ms`);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    const ms = this.now() - started;
    this.log(
      `!!! FAILED  ${event['detail-type']} run ${runId ?? '-'} (event ${event.id}) after ${attempts} attempt${attempts === 1 ? '' : 's'}, ${ms} ms: ` +
        `${describe(lastError)}. The event is dropped: send it again once the cause is fixed (due deescalations are re-fired by the sweep).`,
    );
    return this.remember({ ...base, status: 'failed', error: describe(lastError), attempts, ms });
  }

  private remember(outcome: EventOutcome): EventOutcome {
    this.outcomes.delete(outcome.eventId);
    this.outcomes.set(outcome.eventId, outcome);
    // A Map iterates in insertion order: the first key is the oldest.
    while (this.outcomes.size > this.keep) this.outcomes.delete(this.outcomes.keys().next().value as string);
    return outcome;
  }
}

/** One line per handled event: step, run, who, what became of it, and how long it took. */
export function formatDispatch(event: EventBridgeEvent, result: DispatchResult | SweepResult, ms: number, attempts = 1): string {
  const step = event['detail-type'].padEnd(11);
  const actor = event.source === SCHEDULER_EVENT_SOURCE ? 'scheduler' : actorOf(event);
  const retried = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if ('examined' in result) return `${step} examined ${result.examined}, fired ${result.fired.length}  ${ms} ms${retried}`;
  return `${step} ${formatResult(result, actor)}  ${ms} ms${retried}`;
}

/** What became of one step, for a log line. */
export function formatResult(result: DispatchResult, actor?: string): string {
  const run = result.runId !== undefined ? `run ${result.runId}` : 'no run';
  const by = actor !== undefined ? ` by ${actor}` : '';
  switch (result.status) {
    case 'applied':
      return `${run}${by}: applied, now ${result.state} [${result.steps.join(', ')}]`;
    case 'duplicate':
      return `${run}${by}: duplicate, nothing to do (${result.state})`;
    case 'ignored':
      return `${run}${by}: ignored by a hook: ${result.message}`;
    case 'refused':
      return `${run}${by}: REFUSED (${result.code}): ${result.message}`;
  }
}

function actorOf(event: EventBridgeEvent): string {
  const actor = event.detail.actor;
  if (typeof actor === 'object' && actor !== null && !Array.isArray(actor) && typeof actor.username === 'string') return actor.username;
  return '(no actor)';
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
