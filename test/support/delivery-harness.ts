import type { Dispatcher, DispatchResult, SweepResult } from '../../lambda/dispatcher.js';
import type { SeededRandom } from './seeded-random.js';
import { scheduledBusEvent, type VirtualScheduler } from './virtual-scheduler.js';

/** The movable clock a test flow gives its dispatcher. */
export interface MovableClock {
  now(): Date;
  advance(ms: number): void;
}

export type BusEvent = Record<string, unknown>;

/** One copy of one event on its way to the dispatcher, with its retries. */
export interface Delivery {
  readonly event: BusEvent;
  readonly label: string;
  attempts: number;
  readonly results: (DispatchResult | SweepResult)[];
  readonly errors: string[];
  deadLettered: boolean;
  /** Virtual time of the next attempt. */
  dueAt: number;
}

export interface DeliveryHarnessProps {
  readonly dispatcher: Dispatcher;
  readonly clock: MovableClock;
  readonly rng: SeededRandom;
  /** Fires the schedules the dispatcher made. @default - none (steps must be sent by hand) */
  readonly scheduler?: VirtualScheduler;
  /**
   * Attempts per delivery before it goes to the dead-letter queue. EventBridge retries a
   * failed target for up to 24 h (185 attempts); 10 keeps a test short and a loss visible.
   * @default 10
   */
  readonly maxAttempts?: number;
  /** First retry delay (virtual), doubled per attempt with jitter, capped at 10 min. @default 30000 */
  readonly retryBaseMs?: number;
  /** How far the clock moves per tick. @default 30000 */
  readonly tickMs?: number;
  /** How often the sweep rule fires (virtual). @default every tick */
  readonly sweepEveryMs?: number;
  /** Chance a scheduled event is delivered twice (at-least-once). @default 0 */
  readonly scheduleDuplicateRate?: number;
  /** Deliveries in flight at once. @default 64 */
  readonly concurrency?: number;
}

const MAX_RETRY_DELAY_MS = 600_000;

/**
 * Delivers events to a dispatcher the way EventBridge and Lambda's async invocation do:
 * at least once, copies concurrently and in any order, a delivery whose dispatch threw
 * retried later with backoff (bounded, then dead-lettered), schedules fired when due, and
 * the sweep rule firing periodically; all on the test's movable clock, one tick at a time.
 */
export class DeliveryHarness {
  public readonly deliveries: Delivery[] = [];
  public readonly deadLetters: Delivery[] = [];
  public sweepFailures = 0;
  public sweeps = 0;
  private queue: Delivery[] = [];
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly tickMs: number;
  private readonly sweepEveryMs: number;
  private readonly scheduleDuplicateRate: number;
  private readonly concurrency: number;

  public constructor(private readonly props: DeliveryHarnessProps) {
    this.maxAttempts = props.maxAttempts ?? 10;
    this.retryBaseMs = props.retryBaseMs ?? 30_000;
    this.tickMs = props.tickMs ?? 30_000;
    this.sweepEveryMs = props.sweepEveryMs ?? this.tickMs;
    this.scheduleDuplicateRate = props.scheduleDuplicateRate ?? 0;
    this.concurrency = props.concurrency ?? 64;
  }

  /** Puts `copies` copies of `event` on the bus, delivered at the next tick (or `delayMs` later). */
  public send(event: BusEvent, options: { label?: string; copies?: number; delayMs?: number } = {}): Delivery[] {
    const dueAt = this.props.clock.now().getTime() + (options.delayMs ?? 0);
    const made: Delivery[] = [];
    for (let i = 0; i < (options.copies ?? 1); i++) {
      const delivery: Delivery = {
        event,
        label: options.label ?? String(event['detail-type']),
        attempts: 0,
        results: [],
        errors: [],
        deadLettered: false,
        dueAt,
      };
      made.push(delivery);
      this.deliveries.push(delivery);
      this.queue.push(delivery);
    }
    return made;
  }

  public get pending(): number {
    return this.queue.length;
  }

  /** Delivers what is due now (and fires the sweep when due), then moves the clock one tick. */
  public async tick(): Promise<void> {
    const now = this.props.clock.now().getTime();
    for (const scheduled of this.props.scheduler?.takeDue(new Date(now)) ?? []) {
      const copies = this.props.rng.chance(this.scheduleDuplicateRate) ? 2 : 1;
      this.send(scheduledBusEvent(scheduled), { label: `scheduled ${scheduled.step}`, copies });
    }
    const due = this.props.rng.shuffle(this.queue.filter((d) => d.dueAt <= now));
    this.queue = this.queue.filter((d) => d.dueAt > now);
    const sweepDue = now - this.lastSweepAt >= this.sweepEveryMs;
    if (sweepDue) this.lastSweepAt = now;
    await Promise.all([pool(due, this.concurrency, (d) => this.attempt(d, now)), sweepDue ? this.sweep() : Promise.resolve()]);
    this.props.clock.advance(this.tickMs);
  }

  /** Ticks until `done()` holds and nothing is in flight, or `maxMs` of virtual time passed. */
  public async runUntil(done: () => boolean | Promise<boolean>, maxMs: number): Promise<boolean> {
    const until = this.props.clock.now().getTime() + maxMs;
    while (this.props.clock.now().getTime() < until) {
      await this.tick();
      if (this.queue.length === 0 && (await done())) return true;
    }
    return false;
  }

  /** Ticks for `ms` of virtual time. */
  public async runFor(ms: number): Promise<void> {
    const until = this.props.clock.now().getTime() + ms;
    while (this.props.clock.now().getTime() < until) await this.tick();
  }

  private async attempt(delivery: Delivery, now: number): Promise<void> {
    delivery.attempts += 1;
    try {
      delivery.results.push(await this.props.dispatcher.handle(delivery.event));
    } catch (error) {
      delivery.errors.push(`${(error as Error).name}: ${(error as Error).message}`);
      if (delivery.attempts >= this.maxAttempts) {
        delivery.deadLettered = true;
        this.deadLetters.push(delivery);
        return;
      }
      const backoff = Math.min(this.retryBaseMs * 2 ** (delivery.attempts - 1), MAX_RETRY_DELAY_MS);
      delivery.dueAt = now + Math.round(backoff * (0.5 + this.props.rng.next()));
      this.queue.push(delivery);
    }
  }

  private async sweep(): Promise<void> {
    this.sweeps += 1;
    try {
      await this.props.dispatcher.sweep();
    } catch {
      // The sweep rule fires again next interval; what this one missed stays due.
      this.sweepFailures += 1;
    }
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
