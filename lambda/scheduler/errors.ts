import { AdapterError } from '../adapter-errors.js';
import type { ScheduledStep } from './step-scheduler.js';

/** EventBridge Scheduler refused or failed to create, update or delete a step's schedule. */
export class StepSchedulerError extends AdapterError {
  public constructor(
    message: string,
    public readonly runId: string,
    public readonly step: ScheduledStep,
    details: { operation: string; transient: boolean; errorName?: string },
    options?: { cause?: unknown },
  ) {
    super(message, { service: 'scheduler', ...details }, options);
    this.name = 'StepSchedulerError';
  }
}
