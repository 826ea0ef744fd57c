import type { FlowConfig, FlowTargetConfig } from '../config/flow-config.js';
import type { LifecycleEvent, LifecycleEventType } from '../events/lifecycle-event.js';
import type { Permissions } from '../sdk/hooks.js';
import type { JsonValue } from '../sdk/json.js';
import { SRN } from '../sdk/srn.js';
import type { ApprovalTemplateStep } from '../sdk/steps.js';
import type { StepOutput } from '../sdk/step-output.js';
import type { Effect, Transition } from './effects.js';
import { RefusalError } from './errors.js';
import type { ActorRecord, DeescalateType, HistoryEntry, RunRecord, RunState } from './run.js';
import { ACTIVE_STATES, TERMINAL_STATES } from './run.js';
import type { StepInput } from './step-input.js';

/** What a transition may depend on besides the run and the step: all passed in, none read. */
export interface EngineContext {
  readonly now: Date;
  readonly flow: FlowConfig;
  /** The flow's `getPermissions` answer for this event, when the flow has the reducer. */
  readonly permissions?: Permissions;
  /**
   * How old a claim must be before it counts as crashed and may be resumed: longer than
   * the function timeout, so a slow invocation is never run twice.
   */
  readonly claimStaleAfterMs: number;
}

/** Processed event ids kept per run; a run sees a handful of events, this bounds a runaway. */
const MAX_PROCESSED_EVENT_IDS = 200;

/** Which steps each state accepts. Anything else is refused. */
const ACCEPTS: Readonly<Record<RunState | 'none', readonly ApprovalTemplateStep[]>> = {
  none: ['prompt', 'request'],
  prompted: ['request', 'request_expire'],
  requested: ['request_forward', 'request_expire', 'approve', 'deny', 'escalate'],
  forwarded: ['request_expire', 'approve', 'deny', 'escalate'],
  escalating: ['escalate', 'deescalate'],
  // request/approve/deny on an escalated run are an extension of it.
  escalated: ['deescalate', 'request', 'approve', 'deny'],
  deescalating: ['deescalate'],
  deescalation_failed: ['deescalate'],
  deescalated: [],
  denied: [],
  expired: [],
  errored: [],
  ignored: [],
};

/** The steps `state` accepts next (for error messages and hook validation). */
export function acceptedSteps(state: RunState | undefined): readonly ApprovalTemplateStep[] {
  return ACCEPTS[state ?? 'none'];
}

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** True when this delivery was already applied to the run. */
export function isDuplicate(run: RunRecord | undefined, eventId: string): boolean {
  return run !== undefined && run.processedEventIds.includes(eventId);
}

export function sameUser(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The flow's target for `srn` (SRNs compare case-insensitively), or a refusal naming the known ones. */
export function resolveTarget(flow: FlowConfig, srn: string): FlowTargetConfig {
  // The flow's SRNs were validated with its configuration; compare normalised text.
  const wanted = SRN.parse(srn).normalized;
  const target = flow.targets.find((candidate) => candidate.srn.toLowerCase() === wanted);
  if (!target) {
    throw new RefusalError(
      `unknown target ${JSON.stringify(srn)}: flow ${flow.name} accepts ${flow.targets.map((t) => t.srn).join(', ')}`,
      'unknown_target',
    );
  }
  return target;
}

/** The duration a request gets: its own or the flow's default, within the flow's maximum. */
export function effectiveDuration(flow: FlowConfig, requested: number | undefined): number {
  const duration = requested ?? flow.defaultDurationSeconds;
  if (duration <= flow.maxDurationSeconds) return duration;
  if (flow.overMaxDuration === 'clamp') return flow.maxDurationSeconds;
  throw new RefusalError(
    `duration ${duration}s is over flow ${flow.name}'s maximum of ${flow.maxDurationSeconds}s: request at most ${flow.maxDurationSeconds}s`,
    'duration_over_maximum',
  );
}

/** When the engine must next act on the run by itself, if ever (the sweep index sorts on it). */
export function dueAt(run: RunRecord, flow: FlowConfig): string | undefined {
  switch (run.state) {
    case 'prompted':
      return run.requestExpiresAt;
    case 'requested': {
      const forwardAt = forwardTime(run, flow);
      return forwardAt && forwardAt < (run.requestExpiresAt ?? forwardAt) ? forwardAt : run.requestExpiresAt;
    }
    case 'forwarded':
      return run.requestExpiresAt;
    case 'escalating':
    case 'escalated':
    case 'deescalating':
    case 'deescalation_failed':
      return run.expiresAt;
    default:
      return undefined;
  }
}

/** When an undecided request is forwarded to the backup approvers, when the flow has them. */
export function forwardTime(run: RunRecord, flow: FlowConfig): string | undefined {
  if (flow.forwardApprovers.length === 0) return undefined;
  const after = flow.forwardAfterSeconds ?? Math.floor(flow.requestTimeoutSeconds / 2);
  return new Date(Date.parse(run.createdAt) + after * 1000).toISOString();
}

/** Whether an in-flight claim is old enough to be taken as crashed. */
export function isClaimStale(run: RunRecord, ctx: EngineContext): boolean {
  return run.claim !== undefined && ctx.now.getTime() - Date.parse(run.claim.at) >= ctx.claimStaleAfterMs;
}

/**
 * Applies one step to a run (or starts one). Pure: returns the run to save and the effects
 * to perform, or throws a {@link RefusalError} that says what was wrong and what the run
 * accepts. Duplicates must be filtered by the caller with {@link isDuplicate} first.
 */
export function applyStep(run: RunRecord | undefined, input: StepInput, ctx: EngineContext): Transition {
  const accepted = acceptedSteps(run?.state);
  if (!accepted.includes(input.step)) throw notAllowed(run, input);
  if (run === undefined) return startRun(input, ctx);
  if (run.state === 'escalated' && input.step !== 'deescalate') return extension(run, input, ctx);
  switch (input.step) {
    case 'request':
      return request(run, input, ctx);
    case 'request_forward':
      return forward(run, input, ctx);
    case 'request_expire':
      return expire(run, input, ctx);
    case 'approve':
    case 'escalate':
      return approve(run, input, ctx);
    case 'deny':
      return deny(run, input, ctx);
    case 'deescalate':
      return deescalate(run, input, ctx);
    case 'prompt':
      throw notAllowed(run, input);
  }
}

/** Applies what the escalate or deescalate function returned to the run that claimed it. */
export function applyInvokeResult(
  run: RunRecord,
  step: 'escalate' | 'deescalate',
  output: StepOutput,
  ctx: EngineContext,
): Transition {
  const expected: RunState = step === 'escalate' ? 'escalating' : 'deescalating';
  if (run.state !== expected || run.claim?.step !== step) {
    throw new RefusalError(
      `cannot save ${step} output for run ${run.runId}: it is ${run.state}, not ${expected}`,
      'transition_not_allowed',
    );
  }
  const at = ctx.now.toISOString();
  const failed = output.errors.length > 0;
  const outputs = { ...run.outputs, [step]: { body: output.body, errors: output.errors, at } };
  const entry: HistoryEntry = {
    at,
    step: `${step}_result`,
    actor: 'lambda-escalation',
    outcome: failed ? 'failed' : 'succeeded',
    ...(failed ? { detail: { errors: [...output.errors] } } : {}),
  };
  const base = { ...run, outputs, claim: undefined, history: [...run.history, entry] };

  if (step === 'escalate' && run.extending) {
    // A re-invoke for an extension: the grant already stands, so a failure keeps it until
    // the old expiry (its schedule was never moved) rather than revoking it early.
    const expiresAt = failed ? run.extending.previousExpiresAt : (run.expiresAt as string);
    const next = bump({ ...base, state: 'escalated', expiresAt, extending: undefined }, ctx);
    if (failed) return { run: next, effects: [emit(next, 'escalation.errored', 'lambda-escalation', ctx, output.errors)] };
    return {
      run: next,
      effects: [
        { kind: 'schedule', step: 'deescalate', at: new Date(expiresAt) },
        emit(next, 'escalation.extended', 'lambda-escalation', ctx),
        { kind: 'after_hook', step: 'escalate' },
      ],
    };
  }
  if (step === 'escalate') {
    if (!failed) {
      // The expiry was fixed when the grant was claimed (approval + duration): the time the
      // function took comes out of the window rather than extending it, and the sweep's
      // index entry is not rewritten.
      const expiresAt = run.expiresAt ?? new Date(ctx.now.getTime() + run.duration * 1000).toISOString();
      const next = bump({ ...base, state: 'escalated', escalatedAt: at, expiresAt }, ctx);
      return {
        run: next,
        effects: [
          { kind: 'schedule', step: 'deescalate', at: new Date(expiresAt) },
          emit(next, 'escalation.escalated', 'lambda-escalation', ctx),
          { kind: 'after_hook', step: 'escalate' },
        ],
      };
    }
    if (ctx.flow.compensateFailedEscalate) {
      // Fail closed: the function may have granted part of the access before failing.
      const next = bump(
        {
          ...base,
          state: 'deescalating',
          deescalateType: 'compensate',
          deescalateAttempts: run.deescalateAttempts + 1,
          claim: { step: 'deescalate', eventId: `compensate:${run.runId}`, at },
        },
        ctx,
      );
      return {
        run: next,
        effects: [
          emit(next, 'escalation.errored', 'lambda-escalation', ctx, output.errors),
          { kind: 'invoke', step: 'deescalate', functionName: functionFor(ctx.flow, run, 'deescalate') },
        ],
      };
    }
    const next = bump({ ...base, state: 'errored', expiresAt: undefined }, ctx);
    return { run: next, effects: [emit(next, 'escalation.errored', 'lambda-escalation', ctx, output.errors)] };
  }

  if (!failed) {
    const next = bump({ ...base, state: 'deescalated' }, ctx);
    return {
      run: next,
      effects: [emit(next, 'escalation.deescalated', 'lambda-escalation', ctx), { kind: 'after_hook', step: 'deescalate' }],
    };
  }
  // Access may still be granted: stay on the sweep's index (expiresAt is kept, so the
  // run is overdue) until a deescalate succeeds.
  const next = bump({ ...base, state: 'deescalation_failed' }, ctx);
  return { run: next, effects: [emit(next, 'escalation.errored', 'lambda-escalation', ctx, output.errors)] };
}

/**
 * Records that a hook's `ignore({message})` dropped the event. A new run whose request
 * is ignored ends (`endRun`), so the audit trail keeps it; otherwise the run is unchanged.
 */
export function applyIgnore(
  run: RunRecord,
  input: StepInput,
  message: string,
  ctx: EngineContext,
  options: { endRun?: boolean } = {},
): Transition {
  const at = ctx.now.toISOString();
  const next = bump(
    {
      ...run,
      ...(options.endRun ? { state: 'ignored' as const } : {}),
      ignoredMessage: message,
      processedEventIds: remember(run.processedEventIds, input.eventId),
      history: [
        ...run.history,
        { at, step: input.step, actor: input.actor.username, outcome: 'ignored', eventId: input.eventId, detail: { message } },
      ],
    },
    ctx,
  );
  return { run: next, effects: [] };
}

/**
 * `transition`, computed from the run as it was (`before`), applied over `saved`: the
 * write the runtime already made for the original step, before that step's on-hook
 * replaced or revised it. History and processed ids of both are kept, so the audit shows
 * the original step and what the hook made of it, and neither event id applies twice.
 */
export function rebase(saved: RunRecord, before: RunRecord | undefined, transition: Transition): Transition {
  const added = transition.run.history.slice(before?.history.length ?? 0);
  const ids = [...saved.processedEventIds, ...transition.run.processedEventIds.filter((id) => !saved.processedEventIds.includes(id))];
  return {
    run: {
      ...transition.run,
      version: saved.version + 1,
      createdAt: saved.createdAt,
      processedEventIds: ids.slice(-MAX_PROCESSED_EVENT_IDS),
      history: [...saved.history, ...added],
    },
    effects: transition.effects,
  };
}

/**
 * A request that starts a run. A prompt starts one too, with the requester but no target
 * yet; its request fills the rest in.
 */
function startRun(input: StepInput, ctx: EngineContext): Transition {
  const at = ctx.now.toISOString();
  const actor = actorRecord(input, ctx);
  const shell: RunRecord = {
    runId: input.runId,
    flow: ctx.flow.name,
    version: 0,
    state: 'prompted',
    requester: actor,
    target: { srn: '', settings: {} },
    duration: 0,
    fields: input.fields,
    actors: { prompt: actor },
    createdAt: at,
    updatedAt: at,
    outputs: {},
    history: [],
    processedEventIds: [],
    deescalateAttempts: 0,
  };
  if (input.step === 'prompt') {
    // A prompt nobody follows up expires like an undecided request, rather than staying open.
    const requestExpiresAt = new Date(ctx.now.getTime() + ctx.flow.requestTimeoutSeconds * 1000).toISOString();
    const next = bump(
      { ...shell, requestExpiresAt, processedEventIds: [input.eventId], history: [historyOf(input, ctx, 'accepted')] },
      ctx,
    );
    return { run: next, effects: [{ kind: 'after_hook', step: 'prompt' }] };
  }
  return request({ ...shell, actors: {} }, input, ctx);
}

function request(run: RunRecord, input: StepInput, ctx: EngineContext): Transition {
  if (run.state === 'prompted' && run.actors.prompt && !sameUser(run.requester.username, input.actor.username)) {
    throw new RefusalError(
      `run ${run.runId} was prompted for ${run.requester.username}; only they may request in it, not ${input.actor.username}`,
      'transition_not_allowed',
    );
  }
  if (!input.targetSrn) {
    throw new RefusalError(
      `request for run ${run.runId} names no target: send detail.targetSrn, one of ${ctx.flow.targets.map((t) => t.srn).join(', ')}`,
      'malformed_event',
    );
  }
  const target = resolveTarget(ctx.flow, input.targetSrn);
  const duration = effectiveDuration(ctx.flow, input.durationSeconds);
  const actor = actorRecord(input, ctx);
  const requestExpiresAt = new Date(ctx.now.getTime() + ctx.flow.requestTimeoutSeconds * 1000).toISOString();
  const detail: Record<string, JsonValue> = { targetSrn: target.srn, duration };
  const next = bump(
    {
      ...run,
      state: 'requested',
      requester: actor,
      target: { srn: target.srn, ...(target.label !== undefined ? { label: target.label } : {}), settings: target.settings },
      duration,
      fields: { ...run.fields, ...input.fields },
      actors: { ...run.actors, request: actor },
      requestExpiresAt,
      processedEventIds: remember(run.processedEventIds, input.eventId),
      history: [...run.history, historyOf(input, ctx, 'accepted', detail)],
    },
    ctx,
  );
  return {
    run: next,
    effects: [emit(next, 'escalation.requested', actor.username, ctx), { kind: 'after_hook', step: 'request' }],
  };
}

function forward(run: RunRecord, input: StepInput, ctx: EngineContext): Transition {
  if (input.origin === 'event') requireDecider(run, input, ctx);
  if (ctx.flow.forwardApprovers.length === 0) {
    throw new RefusalError(`flow ${ctx.flow.name} has no backup approvers to forward run ${run.runId} to`, 'transition_not_allowed');
  }
  const forwardAt = forwardTime(run, ctx.flow) as string;
  if (input.origin !== 'hook' && ctx.now.toISOString() < forwardAt) {
    throw new RefusalError(`request_forward for run ${run.runId} is early: the request is forwarded at ${forwardAt}`, 'transition_not_allowed');
  }
  const next = bump(
    {
      ...run,
      state: 'forwarded',
      actors: { ...run.actors, request_forward: actorRecord(input, ctx) },
      processedEventIds: remember(run.processedEventIds, input.eventId),
      history: [...run.history, historyOf(input, ctx, 'accepted', { to: [...ctx.flow.forwardApprovers] })],
    },
    ctx,
  );
  return { run: next, effects: [] };
}

function expire(run: RunRecord, input: StepInput, ctx: EngineContext): Transition {
  if (input.origin === 'event') {
    throw new RefusalError(
      `request_expire for run ${run.runId} is fired by the engine when the request times out (${run.requestExpiresAt}), not by a person`,
      'transition_not_allowed',
    );
  }
  if (run.requestExpiresAt && ctx.now.toISOString() < run.requestExpiresAt) {
    throw new RefusalError(
      `request_expire for run ${run.runId} is early: the request expires at ${run.requestExpiresAt}`,
      'transition_not_allowed',
    );
  }
  const next = bump(
    {
      ...run,
      state: 'expired',
      actors: { ...run.actors, request_expire: actorRecord(input, ctx) },
      processedEventIds: remember(run.processedEventIds, input.eventId),
      history: [...run.history, historyOf(input, ctx, 'accepted')],
    },
    ctx,
  );
  return { run: next, effects: [emit(next, 'escalation.expired', input.actor.username, ctx)] };
}

/**
 * Approve, and claim the escalation in the same write: `approve` is always followed by
 * `escalate`, and the claim is what stops a redelivered approve from granting twice.
 * A bare `escalate` event (from a hook, or an approver) does the same; from `escalating`
 * it resumes a crashed invocation once its claim is stale.
 */
function approve(run: RunRecord, input: StepInput, ctx: EngineContext): Transition {
  const at = ctx.now.toISOString();
  if (run.state === 'escalating') {
    if (!isClaimStale(run, ctx) || input.origin === 'event') {
      throw new RefusalError(
        `run ${run.runId} is already escalating (since ${run.claim?.at ?? 'unknown'}): the escalate function is being invoked`,
        'transition_not_allowed',
      );
    }
    const next = bump(
      {
        ...run,
        claim: { step: 'escalate', eventId: input.eventId, at },
        processedEventIds: remember(run.processedEventIds, input.eventId),
        history: [...run.history, historyOf(input, ctx, 'resumed')],
      },
      ctx,
    );
    return { run: next, effects: [{ kind: 'invoke', step: 'escalate', functionName: functionFor(ctx.flow, run, 'escalate') }] };
  }
  if (input.origin === 'event') requireDecider(run, input, ctx);
  const actor = actorRecord(input, ctx);
  const expiresAt = new Date(ctx.now.getTime() + run.duration * 1000).toISOString();
  const actors =
    input.step === 'approve' ? { ...run.actors, approve: actor, escalate: actor } : { ...run.actors, escalate: actor };
  const next = bump(
    {
      ...run,
      state: 'escalating',
      actors,
      expiresAt,
      claim: { step: 'escalate', eventId: input.eventId, at },
      processedEventIds: remember(run.processedEventIds, input.eventId),
      history: [...run.history, historyOf(input, ctx, 'accepted')],
    },
    ctx,
  );
  const effects: Effect[] = [];
  if (input.step === 'approve') {
    effects.push(emit(next, 'escalation.approved', actor.username, ctx), { kind: 'after_hook', step: 'approve' });
  }
  effects.push({ kind: 'invoke', step: 'escalate', functionName: functionFor(ctx.flow, run, 'escalate') });
  return { run: next, effects };
}

function deny(run: RunRecord, input: StepInput, ctx: EngineContext): Transition {
  if (input.origin === 'event') requireDecider(run, input, ctx);
  const actor = actorRecord(input, ctx);
  const next = bump(
    {
      ...run,
      state: 'denied',
      actors: { ...run.actors, deny: actor },
      processedEventIds: remember(run.processedEventIds, input.eventId),
      history: [...run.history, historyOf(input, ctx, 'accepted')],
    },
    ctx,
  );
  return {
    run: next,
    effects: [emit(next, 'escalation.denied', actor.username, ctx), { kind: 'after_hook', step: 'deny' }],
  };
}

function deescalate(run: RunRecord, input: StepInput, ctx: EngineContext): Transition {
  const type: DeescalateType = input.deescalateType ?? (input.origin === 'event' ? 'revoke' : 'scheduled');
  if (input.origin === 'event') requireRevoker(run, input, ctx);

  if (run.state === 'escalating' && !isClaimStale(run, ctx)) {
    throw new RefusalError(
      `run ${run.runId} is still escalating (since ${run.claim?.at ?? 'unknown'}): deescalate once the grant has finished`,
      'transition_not_allowed',
    );
  }
  if (run.state === 'deescalating' && !isClaimStale(run, ctx)) {
    throw new RefusalError(
      `run ${run.runId} is already deescalating (since ${run.claim?.at ?? 'unknown'})`,
      'transition_not_allowed',
    );
  }
  if (run.state === 'escalated' && type === 'scheduled' && run.expiresAt && ctx.now.toISOString() < run.expiresAt) {
    // An old schedule firing after the expiry moved out (an extension) must not cut access short.
    throw new RefusalError(
      `scheduled deescalate for run ${run.runId} is early: access lasts until ${run.expiresAt}`,
      'transition_not_allowed',
    );
  }
  const at = ctx.now.toISOString();
  const actor = actorRecord(input, ctx);
  const next = bump(
    {
      ...run,
      state: 'deescalating',
      extension: undefined,
      deescalateType: type,
      deescalateAttempts: run.deescalateAttempts + 1,
      actors: { ...run.actors, deescalate: actor },
      claim: { step: 'deescalate', eventId: input.eventId, at },
      processedEventIds: remember(run.processedEventIds, input.eventId),
      history: [...run.history, historyOf(input, ctx, 'accepted', { deescalateType: type })],
    },
    ctx,
  );
  const effects: Effect[] = [];
  if (type === 'revoke') effects.push({ kind: 'cancel_schedule', step: 'deescalate' });
  effects.push({ kind: 'invoke', step: 'deescalate', functionName: functionFor(ctx.flow, run, 'deescalate') });
  return { run: next, effects };
}

/**
 * On an escalated run, `request` asks to extend it (same requester, same target), and
 * `approve`/`deny` decide that extension. Access is never interrupted: the run stays
 * escalated, the expiry only moves out, and the schedule is moved with it.
 */
function extension(run: RunRecord, input: StepInput, ctx: EngineContext): Transition {
  const actor = actorRecord(input, ctx);
  if (input.step === 'request') {
    if (!sameUser(input.actor.username, run.requester.username)) {
      throw new RefusalError(
        `${input.actor.username} may not extend run ${run.runId}: only its requester (${run.requester.username}) may`,
        'transition_not_allowed',
      );
    }
    if (input.targetSrn !== undefined && !SRN.parse(run.target.srn).equals(input.targetSrn)) {
      throw new RefusalError(
        `run ${run.runId} grants ${run.target.srn}; an extension cannot change the target to ${input.targetSrn}: request a new run for it`,
        'transition_not_allowed',
      );
    }
    if (run.extension) {
      throw new RefusalError(
        `run ${run.runId} already has an extension waiting for approval (requested ${run.extension.requestedBy.at})`,
        'transition_not_allowed',
      );
    }
    const duration = effectiveDuration(ctx.flow, input.durationSeconds ?? run.duration);
    const next = bump(
      {
        ...run,
        extension: { duration, requestedBy: actor, eventId: input.eventId },
        processedEventIds: remember(run.processedEventIds, input.eventId),
        history: [...run.history, historyOf(input, ctx, 'accepted', { extension: true, duration })],
      },
      ctx,
    );
    return { run: next, effects: [emit(next, 'escalation.requested', actor.username, ctx), { kind: 'after_hook', step: 'request' }] };
  }
  if (input.step === 'escalate' || !run.extension) {
    throw new RefusalError(
      `${input.step} is not allowed: run ${run.runId} is escalated with no extension waiting; it accepts deescalate, or request (to extend it)`,
      'transition_not_allowed',
    );
  }
  if (input.origin === 'event') requireDecider(run, input, ctx);
  const remembered = remember(run.processedEventIds, input.eventId);
  if (input.step === 'deny') {
    const next = bump(
      {
        ...run,
        extension: undefined,
        processedEventIds: remembered,
        history: [...run.history, historyOf(input, ctx, 'accepted', { extension: true })],
      },
      ctx,
    );
    return { run: next, effects: [emit(next, 'escalation.denied', actor.username, ctx), { kind: 'after_hook', step: 'deny' }] };
  }
  const current = run.expiresAt ?? ctx.now.toISOString();
  const proposed = new Date(ctx.now.getTime() + run.extension.duration * 1000).toISOString();
  const expiresAt = proposed > current ? proposed : current;
  const history = [...run.history, historyOf(input, ctx, 'accepted', { extension: true, expiresAt })];
  if (ctx.flow.reinvokeEscalateOnExtend) {
    const next = bump(
      {
        ...run,
        state: 'escalating',
        expiresAt,
        extension: undefined,
        extending: { previousExpiresAt: current },
        claim: { step: 'escalate', eventId: input.eventId, at: ctx.now.toISOString() },
        processedEventIds: remembered,
        history,
      },
      ctx,
    );
    return {
      run: next,
      effects: [
        emit(next, 'escalation.approved', actor.username, ctx),
        { kind: 'after_hook', step: 'approve' },
        { kind: 'invoke', step: 'escalate', functionName: functionFor(ctx.flow, run, 'escalate') },
      ],
    };
  }
  const next = bump({ ...run, expiresAt, extension: undefined, processedEventIds: remembered, history }, ctx);
  return {
    run: next,
    effects: [
      { kind: 'schedule', step: 'deescalate', at: new Date(expiresAt) },
      emit(next, 'escalation.extended', actor.username, ctx),
      { kind: 'after_hook', step: 'approve' },
    ],
  };
}

/** Approve, deny and forward from a person: only the flow's approvers, and never oneself unless allowed. */
function requireDecider(run: RunRecord, input: StepInput, ctx: EngineContext): void {
  const username = input.actor.username;
  const isRequester = sameUser(username, run.requester.username);
  const permissions = ctx.permissions;
  if (isRequester && !permissions?.allowSelfApproval) {
    throw new RefusalError(
      `${username} requested run ${run.runId} and may not ${input.step} it: self-approval is not allowed in flow ${ctx.flow.name}`,
      'self_approval',
    );
  }
  if (!permissions) return;
  const approvers = run.state === 'forwarded' ? [...permissions.approvers, ...ctx.flow.forwardApprovers] : permissions.approvers;
  if (!approvers.some((approver) => sameUser(approver, username))) {
    throw new RefusalError(
      `${username} may not ${input.step} run ${run.runId}: approvers are ${approvers.join(', ') || '(none)'}`,
      'not_an_approver',
    );
  }
}

/** An early revoke: the requester or the approver, when the flow allows revoke. */
function requireRevoker(run: RunRecord, input: StepInput, ctx: EngineContext): void {
  if (!ctx.flow.allowRevoke) {
    throw new RefusalError(`flow ${ctx.flow.name} does not allow early revoke; access ends at ${run.expiresAt}`, 'revoke_not_allowed');
  }
  if (run.state !== 'escalated') {
    throw new RefusalError(
      `run ${run.runId} is ${run.state}, not escalated: only an escalated run can be revoked`,
      'transition_not_allowed',
    );
  }
  const allowed = [run.requester.username, run.actors.approve?.username].filter((u): u is string => u !== undefined);
  if (!allowed.some((u) => sameUser(u, input.actor.username))) {
    throw new RefusalError(
      `${input.actor.username} may not revoke run ${run.runId}: only its requester (${run.requester.username})` +
        (run.actors.approve ? ` or its approver (${run.actors.approve.username})` : '') +
        ' may',
      'revoke_not_allowed',
    );
  }
}

function notAllowed(run: RunRecord | undefined, input: StepInput): RefusalError {
  if (run === undefined) {
    return new RefusalError(
      `unknown run ${JSON.stringify(input.runId)}: ${input.step} needs an existing run; only prompt or request start one`,
      'unknown_run',
    );
  }
  if (input.step === 'prompt' || input.step === 'request') {
    return new RefusalError(`run ${run.runId} already exists (${run.state}): start a new run with a new runId`, 'run_exists');
  }
  const accepts = acceptedSteps(run.state);
  const hint = accepts.length === 0 ? 'it has ended and accepts nothing more' : `it accepts ${accepts.join(', ')}`;
  return new RefusalError(`${input.step} is not allowed: run ${run.runId} is ${run.state}; ${hint}`, 'transition_not_allowed');
}

function functionFor(flow: FlowConfig, run: RunRecord, step: 'escalate' | 'deescalate'): string {
  const target = flow.targets.find((t) => t.srn === run.target.srn);
  if (step === 'escalate') return target?.escalateFunction ?? flow.escalateFunction;
  return target?.deescalateFunction ?? flow.deescalateFunction;
}

function actorRecord(input: StepInput, ctx: EngineContext): ActorRecord {
  return {
    username: input.actor.username,
    name: input.actor.name,
    at: ctx.now.toISOString(),
    ...(input.origin === 'hook' ? { viaHook: true } : {}),
  };
}

function historyOf(input: StepInput, ctx: EngineContext, outcome: string, extra?: Record<string, JsonValue>): HistoryEntry {
  // A decision's own fields (a denial's reason, say) are part of the audit trail.
  const detail = input.step !== 'request' && Object.keys(input.fields).length > 0 ? { ...extra, fields: { ...input.fields } } : extra;
  return {
    at: ctx.now.toISOString(),
    step: input.step,
    actor: input.actor.username,
    outcome,
    eventId: input.eventId,
    ...(input.origin !== 'event' ? { detail: { origin: input.origin, ...detail } } : detail ? { detail } : {}),
  };
}

function remember(ids: readonly string[], eventId: string): readonly string[] {
  return [...ids, eventId].slice(-MAX_PROCESSED_EVENT_IDS);
}

function bump(run: RunRecord, ctx: EngineContext): RunRecord {
  const next: RunRecord = { ...run, version: run.version + 1, updatedAt: ctx.now.toISOString() };
  const due = dueAt(next, ctx.flow);
  const { dueAt: _previous, ...rest } = next;
  return due === undefined ? rest : { ...rest, dueAt: due };
}

function emit(run: RunRecord, type: LifecycleEventType, actor: string, ctx: EngineContext, errors?: readonly string[]): Effect {
  const event: LifecycleEvent = {
    type,
    runId: run.runId,
    flow: run.flow,
    actor,
    requester: run.requester.username,
    targetSrn: run.target.srn,
    at: ctx.now.toISOString(),
    ...(run.expiresAt && run.state !== 'expired' && run.state !== 'denied' ? { expiresAt: run.expiresAt } : {}),
    ...(errors && errors.length > 0 ? { errors: [...errors] } : {}),
  };
  return { kind: 'emit', event };
}

/** The key two runs share when they grant the same requester the same target. */
export function accessSlot(run: RunRecord): string {
  return `${run.flow}#${run.requester.username.toLowerCase()}#${SRN.parse(run.target.srn).normalized}`;
}

/**
 * Whether a transition must (re)take the run's access slot before it is saved: when it
 * starts a grant, or moves an active grant's expiry out (an extension).
 */
export function needsSlot(before: RunRecord | undefined, after: RunRecord): boolean {
  if (after.state === 'escalating' && (before?.state === 'requested' || before?.state === 'forwarded')) return true;
  return before?.expiresAt !== undefined && after.expiresAt !== undefined && after.expiresAt > before.expiresAt;
}

/**
 * Until when a run's slot counts as held without looking at the run: its expiry plus
 * twice the sweep's grace, by when even a lost schedule has been swept. A later run may
 * take the slot over after that in one write; before it, only after reading that the
 * holder has ended.
 */
export function slotHeldUntil(run: RunRecord, flow: FlowConfig): string {
  const expiresAt = Date.parse(run.expiresAt ?? run.updatedAt);
  return new Date(expiresAt + 2 * flow.sweepGraceSeconds * 1000).toISOString();
}

/** A refusal when `holder`, another run for the same requester and target, is still active. */
export function overlapRefusal(run: RunRecord, holder: RunRecord | undefined): RefusalError | undefined {
  if (!holder || holder.runId === run.runId || !ACTIVE_STATES.includes(holder.state)) return undefined;
  return new RefusalError(
    `${run.requester.username} already has ${run.target.srn} through run ${holder.runId}` +
      (holder.expiresAt ? ` until ${holder.expiresAt}` : '') +
      `: to extend it, send a request with runId ${holder.runId}`,
    'overlapping_run',
  );
}
