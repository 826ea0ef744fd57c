import type { LifecycleEvent } from '../events/lifecycle-event.js';
import type { ScheduledStep } from '../scheduler/step-scheduler.js';
import type { ApprovalTemplateStep } from '../sdk/steps.js';
import type { RunRecord } from './run.js';

/**
 * What the runtime must do after saving a transition's run, in order. The engine only
 * describes them; the dispatcher performs them.
 */
export type Effect =
  | { readonly kind: 'invoke'; readonly step: 'escalate' | 'deescalate'; readonly functionName: string }
  | { readonly kind: 'schedule'; readonly step: ScheduledStep; readonly at: Date }
  | { readonly kind: 'cancel_schedule'; readonly step: ScheduledStep }
  | { readonly kind: 'emit'; readonly event: LifecycleEvent }
  | { readonly kind: 'after_hook'; readonly step: ApprovalTemplateStep };

/** A run to save (with `version` already incremented) and what to do once it is saved. */
export interface Transition {
  readonly run: RunRecord;
  readonly effects: readonly Effect[];
}
