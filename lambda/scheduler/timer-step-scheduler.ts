import type { ScheduledEvent, ScheduledStep, StepScheduler } from './step-scheduler.js';

export interface TimerStepSchedulerProps {
  /** Called when a scheduled step is due: local mode puts the step's event on its bus. */
  readonly fire: (event: ScheduledEvent) => Promise<void>;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Called when `fire` throws; the sweep picks the run up again. @default ignore */
  readonly onError?: (event: ScheduledEvent, error: unknown) => void;
}

// setTimeout takes at most 2^31-1 ms (~24.8 days); longer waits are chained.
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Local mode's stand-in for EventBridge Scheduler: one timer per run and step, in this
 * process. Timers do not survive a restart; local mode re-arms them from the store's due
 * index when it starts, which is also what the sweep does in AWS.
 */
export class TimerStepScheduler implements StepScheduler {
  private readonly timers = new Map<string, { event: ScheduledEvent; timer: NodeJS.Timeout }>();
  private readonly fire: (event: ScheduledEvent) => Promise<void>;
  private readonly clock: () => Date;
  private readonly onError: (event: ScheduledEvent, error: unknown) => void;

  public constructor(props: TimerStepSchedulerProps) {
    this.fire = props.fire;
    this.clock = props.clock ?? (() => new Date());
    this.onError = props.onError ?? (() => undefined);
  }

  public async schedule(event: ScheduledEvent): Promise<void> {
    this.clear(key(event.runId, event.step));
    this.arm(event);
  }

  public async cancel(runId: string, step: ScheduledStep): Promise<void> {
    this.clear(key(runId, step));
  }

  /** What is armed now, soonest first. */
  public pending(): ScheduledEvent[] {
    return [...this.timers.values()].map((t) => t.event).sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** Clears every timer (on shutdown). */
  public stop(): void {
    for (const id of [...this.timers.keys()]) this.clear(id);
  }

  private arm(event: ScheduledEvent): void {
    const id = key(event.runId, event.step);
    const wait = Math.max(0, event.at.getTime() - this.clock().getTime());
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (wait > MAX_TIMEOUT_MS) {
        this.arm(event);
        return;
      }
      this.fire(event).catch((error: unknown) => this.onError(event, error));
    }, Math.min(wait, MAX_TIMEOUT_MS));
    this.timers.set(id, { event, timer });
  }

  private clear(id: string): void {
    const entry = this.timers.get(id);
    if (entry) clearTimeout(entry.timer);
    this.timers.delete(id);
  }
}

function key(runId: string, step: ScheduledStep): string {
  return `${runId}\u0000${step}`;
}
