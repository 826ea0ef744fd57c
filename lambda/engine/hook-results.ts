import { EventRequest } from '../sdk/event-request.js';
import { isApprovalTemplateStep, TemplateStep } from '../sdk/steps.js';
import { parseDuration } from './duration.js';
import { RefusalError } from './errors.js';
import type { RunState } from './run.js';
import type { StepInput } from './step-input.js';
import { acceptedSteps } from './transitions.js';

/** What the runtime does with what an `on*` hook returned. */
export type HookDecision =
  /** Carry on with the step (the hook returned nothing, or its own step, possibly with new values). */
  | { readonly kind: 'proceed'; readonly input: StepInput }
  /** Drop the event; tell the actor `message`. */
  | { readonly kind: 'ignore'; readonly message: string }
  /** Process `input` instead (a later step of the flow). */
  | { readonly kind: 'replace'; readonly input: StepInput };

/**
 * Interprets an `on*` hook's result. `stateAfter` is the state the replacement is checked
 * against: the run's state, or `requested` for `onRequest` (the request itself is always
 * recorded, so a hook can auto-approve it). Only steps that state accepts are allowed,
 * which makes every replacement a forward one.
 */
export function interpretHookResult(input: StepInput, result: unknown, stateAfter: RunState | undefined): HookDecision {
  if (result === undefined || result === null) return { kind: 'proceed', input };
  if (!EventRequest.isEventRequest(result)) {
    throw new RefusalError(
      `the on${capitalise(input.step)} hook returned ${describe(result)}: return nothing, or an EventRequest such as ApprovalTemplate.approve()`,
      'backward_hook_result',
    );
  }
  if (result.step === TemplateStep.IGNORE) {
    return { kind: 'ignore', message: result.payload.message ?? 'ignored by the flow' };
  }
  if (!isApprovalTemplateStep(result.step)) {
    throw new RefusalError(`the on${capitalise(input.step)} hook returned an unknown step ${JSON.stringify(result.step)}`, 'backward_hook_result');
  }
  const next: StepInput = {
    ...input,
    step: result.step,
    origin: result.step === input.step ? input.origin : 'hook',
    eventId: result.step === input.step ? input.eventId : `${input.eventId}:${result.step}`,
    // A replacement carries the hook's own fields; the event's are already on the run.
    fields: result.step === input.step ? { ...input.fields, ...result.payload.fields } : { ...result.payload.fields },
    ...(result.payload.targetSrn !== undefined ? { targetSrn: result.payload.targetSrn } : {}),
    ...(result.payload.duration !== undefined ? { durationSeconds: parseDuration(result.payload.duration) } : {}),
  };
  if (result.step === input.step) return { kind: 'proceed', input: next };
  const accepted = acceptedSteps(stateAfter);
  if (!accepted.includes(result.step)) {
    throw new RefusalError(
      `the on${capitalise(input.step)} hook returned ${result.step}, which is not a forward step from ${stateAfter ?? 'a new run'}: ` +
        `allowed are ${accepted.join(', ') || 'none'}, or ignore`,
      'backward_hook_result',
    );
  }
  return { kind: 'replace', input: next };
}

export function capitalise(step: string): string {
  return step
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function describe(value: unknown): string {
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'a plain object';
  return `a ${typeof value}`;
}
