import { randomUUID } from 'node:crypto';
import { AdapterConfigurationError } from './adapter-errors.js';
import type { FlowConfig } from './config/flow-config.js';
import type { Effect, Transition } from './engine/effects.js';
import { RefusalError, type RefusalCode } from './engine/errors.js';
import { capitalise, interpretHookResult, type HookDecision } from './engine/hook-results.js';
import type { RunRecord, RunState } from './engine/run.js';
import { planSweepStep } from './engine/sweep.js';
import type { StepInput } from './engine/step-input.js';
import {
  accessSlot,
  applyIgnore,
  applyInvokeResult,
  applyStep,
  isClaimStale,
  isDuplicate,
  overlapRefusal,
  rebase,
  needsSlot,
  slotHeldUntil,
  type EngineContext,
} from './engine/transitions.js';
import { toAccessTarget, toHookEvent, toUser, flowSrn, runSrn } from './engine/views.js';
import type { LifecycleEvent, LifecycleEventPublisher } from './events/lifecycle-event.js';
import { isSweepEvent, parseIngressEvent } from './events/ingress-event.js';
import type { StepScheduler } from './scheduler/step-scheduler.js';
import type { Event } from './sdk/event.js';
import type { AfterHook, Hook, Hooks, Permissions } from './sdk/hooks.js';
import type { JsonValue } from './sdk/json.js';
import { runInContext } from './sdk/run-context.js';
import type { ApprovalTemplateStep } from './sdk/steps.js';
import type { StepOutput } from './sdk/step-output.js';
import type { AccessStrategy } from './sdk/strategy.js';
import { RunConflictError } from './store/errors.js';
import type { RunStore } from './store/run-store.js';
import type { FunctionInvoker } from './strategy/function-invoker.js';
import { buildLambdaPayload } from './strategy/lambda-payload-builder.js';

/** The log methods the dispatcher uses; Powertools' Logger has them. */
export interface DispatcherLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface DispatcherProps {
  readonly flow: FlowConfig;
  readonly store: RunStore;
  /** Invokes the user's escalate/deescalate Lambdas. Give this or `strategy`. */
  readonly invoker?: FunctionInvoker;
  /** An in-process custom strategy instead of Lambdas. Give this or `invoker`. */
  readonly strategy?: AccessStrategy;
  readonly scheduler: StepScheduler;
  readonly publisher: LifecycleEventPublisher;
  /** The flow's hooks module. @default {} */
  readonly hooks?: Hooks;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
  /** @default a logger that drops everything */
  readonly logger?: DispatcherLogger;
  /**
   * How old an in-flight escalate/deescalate claim must be before it counts as crashed
   * and may be resumed. Keep it above the invoker's timeout.
   * @default 120000 (two minutes)
   */
  readonly claimStaleAfterMs?: number;
}

/** What became of one event. Refusals are answers, not failures: retrying them cannot help. */
export type DispatchResult =
  | { readonly status: 'applied'; readonly runId: string; readonly state: RunState; readonly steps: readonly string[] }
  | { readonly status: 'duplicate'; readonly runId: string; readonly state: RunState }
  | { readonly status: 'ignored'; readonly runId: string; readonly message: string }
  | { readonly status: 'refused'; readonly code: RefusalCode; readonly message: string; readonly runId?: string };

export interface SweepResult {
  readonly examined: number;
  readonly fired: readonly DispatchResult[];
  /** Runs the sweep could not act on this time (a transient failure); the next sweep tries again. */
  readonly failed: readonly string[];
}

/** Writes lost to a racing event before we give up and report a conflict (then EventBridge retries). */
const MAX_CONFLICT_RETRIES = 5;
/** Hook replacements chained in one event; forward-only makes chains short, this bounds a bug. */
const MAX_CHAINED_STEPS = 8;

const NULL_LOGGER: DispatcherLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The runtime around the pure engine: parse, load, run hooks, transition, save, perform
 * effects. Every state change is one conditional write; a lost race reloads and re-decides.
 * Only transient failures throw (so EventBridge / Lambda retry the event); a refusal is
 * returned and changes nothing.
 */
export class Dispatcher {
  private readonly flow: FlowConfig;
  private readonly store: RunStore;
  private readonly invoker?: FunctionInvoker;
  private readonly strategy?: AccessStrategy;
  private readonly scheduler: StepScheduler;
  private readonly publisher: LifecycleEventPublisher;
  private readonly hooks: Hooks;
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly logger: DispatcherLogger;
  private readonly claimStaleAfterMs: number;

  public constructor(props: DispatcherProps) {
    if ((props.invoker === undefined) === (props.strategy === undefined)) {
      throw new AdapterConfigurationError('Dispatcher: give exactly one of invoker (Lambda strategy) or strategy (custom strategy)');
    }
    this.flow = props.flow;
    this.store = props.store;
    this.invoker = props.invoker;
    this.strategy = props.strategy;
    this.scheduler = props.scheduler;
    this.publisher = props.publisher;
    this.hooks = props.hooks ?? {};
    this.clock = props.clock ?? (() => new Date());
    this.newId = props.newId ?? randomUUID;
    this.logger = props.logger ?? NULL_LOGGER;
    this.claimStaleAfterMs = props.claimStaleAfterMs ?? 120_000;
  }

  /** Handles one EventBridge event: a step, or the sweep's scheduled tick. */
  public async handle(event: unknown): Promise<DispatchResult | SweepResult> {
    if (isSweepEvent(event)) return this.sweep();
    let input: StepInput;
    try {
      input = parseIngressEvent(event, this.flow);
    } catch (error) {
      return this.refused(error);
    }
    return this.dispatch(input);
  }

  /** Applies one validated step, with its hooks and everything it chains into. */
  public async dispatch(input: StepInput): Promise<DispatchResult> {
    const emitted: LifecycleEvent[] = [];
    try {
      return await this.dispatchWithRetries(input, emitted);
    } catch (error) {
      if (error instanceof RefusalError) return this.refused(error, input.runId);
      throw error;
    } finally {
      await this.publish(emitted);
    }
  }

  /**
   * Fires what is due: expired or forwardable requests, and deescalations whose schedule
   * was lost or whose function failed. Each goes through {@link dispatch}, so a run the
   * scheduler handled meanwhile is left alone.
   */
  public async sweep(): Promise<SweepResult> {
    const due = await this.store.listDue(this.flow.name, this.clock());
    const fired: DispatchResult[] = [];
    const failed: string[] = [];
    for (const runId of due) {
      try {
        // The index is eventually consistent: decide on a consistent read.
        const run = await this.store.get(runId);
        if (!run) continue;
        const input = planSweepStep(run, this.flow, this.context());
        if (!input) continue;
        this.logger.info('sweep fires a due step', { runId, step: input.step, state: run.state });
        fired.push(await this.dispatch(input));
      } catch (error) {
        // One run's transient failure must not hold up the others; the next sweep retries it.
        failed.push(runId);
        this.logger.error('sweep could not act on a due run; the next sweep retries it', { runId, error: describe(error) });
      }
    }
    return { examined: due.length, fired, failed };
  }

  private async dispatchWithRetries(input: StepInput, emitted: LifecycleEvent[]): Promise<DispatchResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dispatchOnce(input, emitted);
      } catch (error) {
        if (!(error instanceof RunConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        this.logger.debug('lost a write race, re-deciding', { runId: input.runId, step: input.step, attempt });
      }
    }
  }

  private async dispatchOnce(first: StepInput, emitted: LifecycleEvent[]): Promise<DispatchResult> {
    const startsRun = first.step === 'request' || first.step === 'prompt';
    // A request or prompt usually starts a run: try to create it without reading first,
    // and read only when it turns out to exist (a duplicate, an extension, a prompted run).
    let run = startsRun ? undefined : await this.store.get(first.runId);
    if (isDuplicate(run, first.eventId)) return this.duplicate(run as RunRecord, first, emitted);

    const steps: string[] = [];
    let input = first;
    let read = !startsRun;
    for (let chained = 0; chained < MAX_CHAINED_STEPS; chained++) {
      const ctx = this.context(await this.permissionsFor(run, input));
      // Validate before anything else: a refused event runs no user code and changes nothing.
      let transition: Transition;
      try {
        transition = applyStep(run, input, ctx);
      } catch (error) {
        // Not valid as a new run's request; it may be meant for an existing run (an extension).
        if (read || !(error instanceof RefusalError)) throw error;
        read = true;
        run = await this.store.get(input.runId);
        if (run === undefined) throw error;
        if (isDuplicate(run, input.eventId)) return this.duplicate(run, input, emitted);
        continue;
      }
      if (!this.flow.allowOverlap && needsSlot(run, transition.run)) await this.holdSlot(transition.run);

      // Saved before its on-hook runs: of several copies of one event only the copy whose
      // conditional write wins runs the hook, so hooks run once per event.
      if (run === undefined) {
        try {
          await this.store.create(transition.run);
        } catch (error) {
          if (!(error instanceof RunConflictError) || error.current === undefined) throw error;
          run = error.current;
          read = true;
          if (isDuplicate(run, input.eventId)) return this.duplicate(run, input, emitted);
          continue;
        }
      } else {
        await this.store.update(transition.run);
      }
      const before = run;
      const saved = transition.run;
      const decision = await this.runOnHook(saved, input, before?.state ?? saved.state);

      if (decision.kind === 'ignore') {
        this.logger.info('event ignored by hook', { runId: input.runId, step: input.step, message: decision.message });
        return this.undo(saved, before, input, decision.message, ctx);
      }
      if (decision.kind === 'replace' && input.step === 'request') {
        // The request stands (the run must exist to approve it); its after-hook does not:
        // the replacement stands in for it.
        steps.push(input.step);
        run = await this.perform(saved, transition.effects.filter((e) => e.kind !== 'after_hook'), emitted, steps);
        input = decision.input;
        continue;
      }
      let applied: Transition = transition;
      if (decision.kind === 'replace' || requestChanged(input, decision.input)) {
        // The hook asked for another step, or this one with other values: apply that to the
        // run as it was, over the write already made.
        const instead = await this.applyHookResult(before, saved, decision.input, ctx);
        if (instead instanceof RefusalError) {
          const message = `the on${capitalise(input.step)} hook asked for what the run cannot do (${instead.message}); ${input.step} was not applied`;
          this.logger.error('hook result refused', { runId: input.runId, step: input.step, message });
          return this.undo(saved, before, input, message, ctx);
        }
        applied = instead;
        await this.store.update(applied.run);
      }
      steps.push(decision.input.step);
      run = await this.perform(applied.run, applied.effects, emitted, steps);
      return { status: 'applied', runId: run.runId, state: run.state, steps };
    }
    throw new RefusalError(`hooks chained more than ${MAX_CHAINED_STEPS} steps for run ${first.runId}`, 'backward_hook_result');
  }

  /**
   * What a hook asked for instead of the step just saved, rebased over that write, with
   * its slot held; or why the run cannot do it (then the step is reverted, not half-done).
   */
  private async applyHookResult(before: RunRecord | undefined, saved: RunRecord, input: StepInput, ctx: EngineContext): Promise<Transition | RefusalError> {
    try {
      const applied = rebase(saved, before, applyStep(before, input, ctx));
      if (!this.flow.allowOverlap && needsSlot(before, applied.run)) await this.holdSlot(applied.run);
      return applied;
    } catch (error) {
      if (error instanceof RefusalError) return error;
      throw error;
    }
  }

  /**
   * Makes this run the one holding its requester's access to its target, or refuses when
   * another active run holds it. A holder that is no longer active (ended, or a run that
   * crashed before its claim was saved) is taken over.
   */
  private async holdSlot(run: RunRecord): Promise<void> {
    const slot = accessSlot(run);
    const heldUntil = slotHeldUntil(run, this.flow);
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const holder = await this.store.acquireSlot(slot, run.runId, heldUntil, this.clock().toISOString());
      if (holder === undefined) return;
      const refusal = overlapRefusal(run, await this.store.get(holder));
      if (refusal) throw refusal;
      if (await this.store.takeOverSlot(slot, holder, run.runId, heldUntil)) return;
    }
    throw new RunConflictError(run.runId, run.version - 1, undefined);
  }

  /**
   * A redelivered event changes nothing, except where it finds its own claim crashed:
   * then the invocation it started is resumed (the claim is stale, so nothing else holds it).
   */
  private async duplicate(run: RunRecord, input: StepInput, emitted: LifecycleEvent[]): Promise<DispatchResult> {
    const ctx = this.context();
    if (run.claim && run.claim.eventId === input.eventId && isClaimStale(run, ctx)) {
      const resume: StepInput = { ...input, step: run.claim.step, origin: 'engine', eventId: `${input.eventId}:resume-v${run.version}` };
      this.logger.warn('resuming a crashed invocation', { runId: run.runId, step: run.claim.step, claimedAt: run.claim.at });
      return this.dispatchOnce(resume, emitted);
    }
    this.logger.info('duplicate event, nothing to do', { runId: run.runId, eventId: input.eventId, state: run.state });
    return { status: 'duplicate', runId: run.runId, state: run.state };
  }

  private async perform(run: RunRecord, effects: readonly Effect[], emitted: LifecycleEvent[], steps: string[]): Promise<RunRecord> {
    let current = run;
    for (const effect of effects) {
      switch (effect.kind) {
        case 'emit':
          emitted.push(effect.event);
          break;
        case 'after_hook':
          await this.runAfterHook(current, effect.step);
          break;
        case 'schedule':
          await this.bestEffort('schedule', current.runId, () =>
            this.scheduler.schedule({ runId: current.runId, step: effect.step, at: effect.at }),
          );
          break;
        case 'cancel_schedule':
          await this.bestEffort('cancel schedule', current.runId, () => this.scheduler.cancel(current.runId, effect.step));
          break;
        case 'invoke': {
          const output = await this.invoke(current, effect.step, effect.functionName);
          const transition = applyInvokeResult(current, effect.step, output, this.context());
          await this.store.update(transition.run);
          current = transition.run;
          steps.push(`${effect.step}_result`);
          if (output.errors.length > 0) {
            this.logger[effect.step === 'deescalate' ? 'error' : 'warn'](`${effect.step === 'deescalate' ? 'deescalation' : 'escalation'} failed`, {
              runId: current.runId,
              errors: output.errors,
              state: current.state,
            });
          }
          current = await this.perform(current, transition.effects, emitted, steps);
          break;
        }
      }
    }
    return current;
  }

  /** Invokes the escalate or deescalate function; its `on*` hook runs first but cannot skip a deescalation. */
  private async invoke(run: RunRecord, step: 'escalate' | 'deescalate', functionName: string): Promise<StepOutput> {
    const actor = run.actors[step] ?? run.actors.approve ?? run.requester;
    const hook = this.hooks[step === 'escalate' ? 'onEscalate' : 'onDeescalate'];
    if (hook) {
      const result = await this.callHook(hook, run, step, actor);
      if (result.failed) {
        if (step === 'escalate') return { body: null, errors: [`onEscalate hook failed: ${result.message}`] };
      } else if (result.value !== undefined && result.value !== null) {
        if (step === 'escalate') {
          // Anything but "go ahead" cancels the grant; it is then handled as a failed escalate.
          let why: string | undefined;
          try {
            const decision = interpretHookResult({ eventId: 'hook', step, runId: run.runId, actor, origin: 'hook', fields: {} }, result.value, 'escalating');
            if (decision.kind !== 'proceed') why = decision.kind === 'ignore' ? decision.message : `replaced by ${decision.input.step}`;
          } catch (error) {
            if (!(error instanceof RefusalError)) throw error;
            why = error.message;
          }
          if (why !== undefined) return { body: null, errors: [`escalate cancelled by the onEscalate hook: ${why}`] };
        } else {
          this.logger.warn('onDeescalate returned an event; deescalation cannot be vetoed, it goes ahead', { runId: run.runId });
        }
      }
    }
    if (this.strategy) return this.invokeStrategy(run, step);
    const escalateOutput = run.outputs.escalate;
    const payload = buildLambdaPayload({
      id: this.newId(),
      step,
      timestamp: this.clock(),
      flowSrn: flowSrn(this.flow),
      runSrn: runSrn(this.flow, run.runId),
      actors: Object.fromEntries(Object.entries(run.actors).map(([s, a]) => [s, toUser(this.flow, a)])),
      actor: toUser(this.flow, actor),
      target: toAccessTarget(run.target),
      duration: run.duration,
      fields: run.fields,
      ...(step === 'deescalate' ? { deescalateType: run.deescalateType ?? 'scheduled' } : {}),
      ...(step === 'deescalate' && escalateOutput ? { escalateOutput: { body: escalateOutput.body, errors: escalateOutput.errors } } : {}),
    });
    return (this.invoker as FunctionInvoker).invoke(functionName, payload);
  }

  private async invokeStrategy(run: RunRecord, step: 'escalate' | 'deescalate'): Promise<StepOutput> {
    const strategy = this.strategy as AccessStrategy;
    const actor = run.actors[step] ?? run.requester;
    const event = toHookEvent(this.flow, { run, step, actor, fields: {}, now: this.clock() });
    const targetId = event.run.target.id;
    try {
      const body = await runInContext({ runId: run.runId, step, outputs: this.store }, () =>
        step === 'escalate' ? strategy.escalate(targetId, event) : strategy.deescalate(targetId, event),
      );
      return { body: body ?? null, errors: [] };
    } catch (error) {
      return { body: null, errors: [`${step} strategy threw: ${describe(error)}`] };
    }
  }

  /**
   * Runs the step's `on*` hook, after the step's write (see dispatchOnce). A hook that
   * fails or returns something unusable never grants: an approval is then not applied
   * (reported as ignored, with why); any other step goes ahead as without the hook.
   */
  private async runOnHook(run: RunRecord, input: StepInput, stateBefore: RunState): Promise<HookDecision> {
    const hook = this.hooks[`on${capitalise(input.step)}` as keyof Hooks] as Hook | undefined;
    if (!hook || input.step === 'escalate' || input.step === 'deescalate') {
      // escalate/deescalate hooks run around the invocation itself (see invoke()).
      return { kind: 'proceed', input };
    }
    const result = await this.callHook(hook, run, input.step, input.actor, input.fields);
    try {
      if (result.failed) throw new RefusalError(`the on${capitalise(input.step)} hook failed: ${result.message}`, 'backward_hook_result');
      // onRequest's replacement follows the recorded request; others replace the step itself.
      return interpretHookResult(input, result.value, input.step === 'request' ? run.state : stateBefore);
    } catch (error) {
      if (!(error instanceof RefusalError)) throw error;
      this.logger.error(`on${capitalise(input.step)} hook failed`, { runId: run.runId, error: error.message });
      if (input.step === 'approve') return { kind: 'ignore', message: `${error.message}; approve was not applied` };
      return { kind: 'proceed', input };
    }
  }

  private async runAfterHook(run: RunRecord, step: ApprovalTemplateStep): Promise<void> {
    const hook = this.hooks[`after${capitalise(step)}` as keyof Hooks] as AfterHook | undefined;
    if (!hook) return;
    const actor = run.actors[step] ?? run.requester;
    const result = await this.callHook(hook, run, step, actor);
    if (result.failed) {
      // The step is done and saved; a failing after-hook must not undo or repeat it.
      this.logger.error(`after${capitalise(step)} hook failed`, { runId: run.runId, error: result.message });
    }
  }

  private async callHook(
    hook: Hook | AfterHook,
    run: RunRecord,
    step: ApprovalTemplateStep,
    actor: { username: string; name: string },
    fields: Readonly<Record<string, JsonValue>> = {},
  ): Promise<{ failed: false; value: unknown } | { failed: true; message: string }> {
    const event: Event = toHookEvent(this.flow, { run, step, actor, fields, now: this.clock() });
    try {
      const value: unknown = await runInContext({ runId: run.runId, step, outputs: this.store }, () => hook(event));
      return { failed: false, value };
    } catch (error) {
      return { failed: true, message: describe(error) };
    }
  }

  private async permissionsFor(run: RunRecord | undefined, input: StepInput): Promise<Permissions | undefined> {
    const reducer = this.hooks.getPermissions;
    const decides = input.step === 'approve' || input.step === 'deny' || input.step === 'escalate' || input.step === 'request_forward';
    if (!reducer || !run || !decides || input.origin !== 'event') return undefined;
    const event = toHookEvent(this.flow, { run, step: input.step, actor: input.actor, fields: input.fields, now: this.clock() });
    try {
      return await runInContext({ runId: run.runId, step: input.step, outputs: this.store }, () => reducer(event));
    } catch (error) {
      throw new RefusalError(`getPermissions failed: ${describe(error)}; nobody may decide until it works`, 'not_an_approver');
    }
  }

  /**
   * Takes back a step already saved (its hook ignored it, or asked for what the run cannot
   * do): the run returns to how it was, with the event and why in its history. A new
   * run's request ends the run instead, so the audit keeps it.
   */
  private async undo(saved: RunRecord, before: RunRecord | undefined, input: StepInput, message: string, ctx: EngineContext): Promise<DispatchResult> {
    const undone = before ? rebase(saved, before, applyIgnore(before, input, message, ctx)) : applyIgnore(saved, input, message, ctx, { endRun: true });
    await this.store.update(undone.run);
    return { status: 'ignored', runId: input.runId, message };
  }

  /**
   * Scheduler calls that fail are logged, not thrown: the run is saved, and the sweep
   * fires any deescalation whose schedule is missing, so retrying the event would only
   * find a duplicate.
   */
  private async bestEffort(what: string, runId: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.logger.error(`${what} failed; the sweep will cover it`, { runId, error: describe(error) });
    }
  }

  private async publish(events: readonly LifecycleEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.publisher.publish(events);
    } catch (error) {
      this.logger.error('publishing lifecycle events failed', { types: events.map((e) => e.type), error: describe(error) });
    }
  }

  private refused(error: unknown, runId?: string): DispatchResult {
    if (!(error instanceof RefusalError)) throw error;
    this.logger.warn('event refused', { code: error.code, reason: error.message, runId });
    return { status: 'refused', code: error.code, message: error.message, ...(runId !== undefined ? { runId } : {}) };
  }

  private context(permissions?: Permissions): EngineContext {
    return {
      now: this.clock(),
      flow: this.flow,
      claimStaleAfterMs: this.claimStaleAfterMs,
      ...(permissions ? { permissions } : {}),
    };
  }
}

/** Whether a hook's `request({...})` asked for something other than the event did. */
function requestChanged(original: StepInput, revised: StepInput): boolean {
  const key = (i: StepInput) => JSON.stringify([i.targetSrn, i.durationSeconds, i.fields]);
  return key(original) !== key(revised);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
