import { SCHEDULER_ACTOR, SCHEDULER_EVENT_SOURCE } from '../../lambda/scheduler/eventbridge-step-scheduler.js';
import type { ScheduledEvent, ScheduledStep, StepScheduler } from '../../lambda/scheduler/step-scheduler.js';
import { busEvent } from './local-aws.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * EventBridge Scheduler on a movable clock: one pending schedule per run and step (a
 * second `schedule` overwrites, as UpdateSchedule does), taken when due by whoever drives
 * the clock. It can lose a seeded fraction of schedules, as a deleted schedule group or a
 * failed CreateSchedule would, which the sweep must repair.
 */
export class VirtualScheduler implements StepScheduler {
  private readonly pending = new Map<string, ScheduledEvent>();
  public readonly lost: ScheduledEvent[] = [];
  private losing?: { rng: SeededRandom; rate: number };

  public loseSchedules(rng: SeededRandom, rate: number): void {
    this.losing = { rng, rate };
  }

  public async schedule(event: ScheduledEvent): Promise<void> {
    if (this.losing && this.losing.rng.chance(this.losing.rate)) {
      this.lost.push(event);
      return;
    }
    this.pending.set(key(event.runId, event.step), event);
  }

  public async cancel(runId: string, step: ScheduledStep): Promise<void> {
    this.pending.delete(key(runId, step));
  }

  /** Removes and returns what is due by `now` (a schedule deletes itself once it fired). */
  public takeDue(now: Date): ScheduledEvent[] {
    const due: ScheduledEvent[] = [];
    for (const [k, event] of this.pending) {
      if (event.at.getTime() <= now.getTime()) {
        due.push(event);
        this.pending.delete(k);
      }
    }
    return due;
  }

  public get size(): number {
    return this.pending.size;
  }
}

function key(runId: string, step: ScheduledStep): string {
  return `${runId}\u0000${step}`;
}

/** The event a schedule puts on the bus, as EventBridgeStepScheduler configures it. */
export function scheduledBusEvent(event: ScheduledEvent): Record<string, unknown> {
  const detail =
    event.step === 'deescalate'
      ? { runId: event.runId, actor: SCHEDULER_ACTOR, deescalateType: 'scheduled' }
      : { runId: event.runId, actor: SCHEDULER_ACTOR };
  return busEvent(event.step, detail, { source: SCHEDULER_EVENT_SOURCE });
}
