/** A step the engine fires later by itself. */
export type ScheduledStep = 'deescalate' | 'request_expire' | 'request_forward';

export interface ScheduledEvent {
  readonly runId: string;
  readonly step: ScheduledStep;
  /** When to fire. */
  readonly at: Date;
}

/**
 * Fires a step of a run at a given time, by putting the step's event on the flow's bus.
 * Both methods are idempotent: scheduling what is already scheduled updates it,
 * cancelling what is gone succeeds.
 */
export interface StepScheduler {
  schedule(event: ScheduledEvent): Promise<void>;
  cancel(runId: string, step: ScheduledStep): Promise<void>;
}
