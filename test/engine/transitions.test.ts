import { describe, expect, it } from 'vitest';
import { flowConfigSchema } from '../../lambda/config/flow-config.js';
import type { Effect } from '../../lambda/engine/effects.js';
import { RefusalError } from '../../lambda/engine/errors.js';
import type { RunRecord } from '../../lambda/engine/run.js';
import { ENGINE_ACTOR, type StepInput } from '../../lambda/engine/step-input.js';
import { acceptedSteps, applyIgnore, applyInvokeResult, applyStep, isDuplicate, needsSlot, rebase, slotHeldUntil, type EngineContext } from '../../lambda/engine/transitions.js';

const TARGET = 'acme:access_target:aws_lambda_function:prod-db:latest';
const flow = flowConfigSchema.parse({
  name: 'f',
  escalateFunction: 'esc',
  deescalateFunction: 'deesc',
  targets: [{ srn: TARGET }, { srn: 'acme:access_target:aws_lambda_function:special:latest', escalateFunction: 'esc-special' }],
});
const T0 = new Date('2026-01-01T00:00:00.000Z');
const ctx = (now = T0, extra: Partial<EngineContext> = {}): EngineContext => ({ now, flow, claimStaleAfterMs: 120_000, ...extra });
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let n = 0;
function input(step: StepInput['step'], actor: string, extra: Partial<StepInput> = {}): StepInput {
  return { eventId: `e${++n}`, step, runId: 'r1', actor: { username: actor, name: '' }, origin: 'event', fields: {}, ...extra };
}

function requested(): RunRecord {
  return applyStep(undefined, input('request', 'alice', { targetSrn: TARGET, durationSeconds: 600 }), ctx()).run;
}
function escalating(): RunRecord {
  return applyStep(requested(), input('approve', 'bob'), ctx(at(1))).run;
}
function escalated(): RunRecord {
  return applyInvokeResult(escalating(), 'escalate', { body: { grant: 1 }, errors: [] }, ctx(at(2))).run;
}
const kinds = (effects: readonly Effect[]) => effects.map((e) => (e.kind === 'invoke' || e.kind === 'after_hook' || e.kind === 'schedule' ? `${e.kind}:${e.step}` : e.kind === 'emit' ? `emit:${e.event.type}` : e.kind));

function refusal(fn: () => unknown): RefusalError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RefusalError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('request', () => {
  it('starts a run with the target, duration, expiry of the request and the due time', () => {
    const t = applyStep(undefined, input('request', 'alice', { targetSrn: TARGET.toUpperCase(), durationSeconds: 600, fields: { reason: 'x' } }), ctx());
    expect(t.run).toMatchObject({
      runId: 'r1',
      version: 1,
      state: 'requested',
      requester: { username: 'alice' },
      target: { srn: TARGET },
      duration: 600,
      fields: { reason: 'x' },
      requestExpiresAt: '2026-01-02T00:00:00.000Z',
      dueAt: '2026-01-02T00:00:00.000Z',
    });
    expect(kinds(t.effects)).toEqual(['emit:escalation.requested', 'after_hook:request']);
  });

  it('uses the flow default duration, refuses over the maximum, or clamps when the flow says so', () => {
    expect(applyStep(undefined, input('request', 'a', { targetSrn: TARGET }), ctx()).run.duration).toBe(3600);
    expect(refusal(() => applyStep(undefined, input('request', 'a', { targetSrn: TARGET, durationSeconds: 50_000 }), ctx())).code).toBe('duration_over_maximum');
    const clamp = { ...ctx(), flow: { ...flow, overMaxDuration: 'clamp' as const } };
    expect(applyStep(undefined, input('request', 'a', { targetSrn: TARGET, durationSeconds: 50_000 }), clamp).run.duration).toBe(43_200);
  });

  it('after a prompt, only the prompted user may request', () => {
    const prompted = applyStep(undefined, input('prompt', 'alice'), ctx()).run;
    expect(prompted.state).toBe('prompted');
    expect(prompted.dueAt).toBe('2026-01-02T00:00:00.000Z');
    expect(applyStep(prompted, input('request_expire', 'x', { origin: 'engine' }), ctx(at(86_400))).run.state).toBe('expired');
    expect(refusal(() => applyStep(prompted, input('request', 'mallory', { targetSrn: TARGET }), ctx())).message).toBe(
      'run r1 was prompted for alice; only they may request in it, not mallory',
    );
    expect(applyStep(prompted, input('request', 'alice', { targetSrn: TARGET }), ctx()).run.state).toBe('requested');
  });
});

describe('approve and escalate', () => {
  it('approve claims the escalation in the same write and invokes escalate', () => {
    const t = applyStep(requested(), input('approve', 'bob'), ctx(at(1)));
    expect(t.run).toMatchObject({ state: 'escalating', version: 2, expiresAt: '2026-01-01T00:10:01.000Z', claim: { step: 'escalate' } });
    expect(t.run.actors.approve?.username).toBe('bob');
    expect(t.run.actors.escalate?.username).toBe('bob');
    expect(kinds(t.effects)).toEqual(['emit:escalation.approved', 'after_hook:approve', 'invoke:escalate']);
    expect(t.effects.at(-1)).toEqual({ kind: 'invoke', step: 'escalate', functionName: 'esc' });
  });

  it('uses a per-target escalate function', () => {
    const run = applyStep(undefined, input('request', 'alice', { targetSrn: 'acme:access_target:aws_lambda_function:special:latest' }), ctx()).run;
    expect(applyStep(run, input('approve', 'bob'), ctx()).effects.at(-1)).toEqual({ kind: 'invoke', step: 'escalate', functionName: 'esc-special' });
  });

  it('a successful escalate keeps the expiry fixed at approval and schedules deescalate there', () => {
    const t = applyInvokeResult(escalating(), 'escalate', { body: { grant: 1 }, errors: [] }, ctx(at(2)));
    expect(t.run).toMatchObject({ state: 'escalated', escalatedAt: '2026-01-01T00:00:02.000Z', expiresAt: '2026-01-01T00:10:01.000Z', outputs: { escalate: { body: { grant: 1 }, errors: [] } } });
    expect(t.run.claim).toBeUndefined();
    expect(t.run.dueAt).toBe(t.run.expiresAt);
    expect(t.effects[0]).toEqual({ kind: 'schedule', step: 'deescalate', at: at(601) });
    expect(kinds(t.effects)).toEqual(['schedule:deescalate', 'emit:escalation.escalated', 'after_hook:escalate']);
  });

  it('a failed escalate compensates with a deescalate, or ends errored when the flow does not compensate', () => {
    const failed = applyInvokeResult(escalating(), 'escalate', { body: null, errors: ['boom'] }, ctx(at(2)));
    expect(failed.run).toMatchObject({ state: 'deescalating', deescalateType: 'compensate', claim: { step: 'deescalate' } });
    expect(kinds(failed.effects)).toEqual(['emit:escalation.errored', 'invoke:deescalate']);
    const noComp = { ...ctx(at(2)), flow: { ...flow, compensateFailedEscalate: false } };
    const errored = applyInvokeResult(escalating(), 'escalate', { body: null, errors: ['boom'] }, noComp);
    expect(errored.run.state).toBe('errored');
    expect(errored.run.dueAt).toBeUndefined();
  });

  it('a redelivered approve is a duplicate; a fresh escalate while one is in flight is refused', () => {
    const run = escalating();
    expect(isDuplicate(run, run.claim!.eventId)).toBe(true);
    expect(refusal(() => applyStep(run, input('escalate', 'bob', { origin: 'engine' }), ctx(at(2)))).message).toMatch(/^run r1 is already escalating/);
  });

  it('resumes a crashed escalate once its claim is stale', () => {
    const t = applyStep(escalating(), input('escalate', ENGINE_ACTOR.username, { origin: 'engine' }), ctx(at(1 + 121)));
    expect(t.run.claim?.at).toBe(at(122).toISOString());
    expect(kinds(t.effects)).toEqual(['invoke:escalate']);
  });
});

describe('deny, expiry and forwarding', () => {
  it('deny ends the run', () => {
    const t = applyStep(requested(), input('deny', 'bob'), ctx());
    expect(t.run.state).toBe('denied');
    expect(t.run.dueAt).toBeUndefined();
    expect(acceptedSteps('denied')).toEqual([]);
  });

  it('request_expire only from the engine, only once due', () => {
    const run = requested();
    expect(refusal(() => applyStep(run, input('request_expire', 'bob'), ctx(at(90_000)))).message).toMatch(/fired by the engine/);
    expect(refusal(() => applyStep(run, input('request_expire', 'x', { origin: 'engine' }), ctx(at(100)))).message).toMatch(/is early/);
    const t = applyStep(run, input('request_expire', 'x', { origin: 'engine' }), ctx(at(86_400)));
    expect(t.run.state).toBe('expired');
    expect(kinds(t.effects)).toEqual(['emit:escalation.expired']);
  });

  it('forwarding lets the backup approvers decide', () => {
    const fwdFlow = { ...flow, forwardApprovers: ['dana'], forwardAfterSeconds: 60 };
    const c = (now: Date) => ({ ...ctx(now), flow: fwdFlow, permissions: { approvers: ['bob'] } });
    const run = applyStep(undefined, input('request', 'alice', { targetSrn: TARGET }), c(T0)).run;
    expect(run.dueAt).toBe(at(60).toISOString());
    expect(refusal(() => applyStep(run, input('approve', 'dana'), c(at(1)))).code).toBe('not_an_approver');
    const forwarded = applyStep(run, input('request_forward', 'x', { origin: 'engine' }), c(at(60))).run;
    expect(forwarded.state).toBe('forwarded');
    expect(applyStep(forwarded, input('approve', 'dana'), c(at(61))).run.state).toBe('escalating');
  });
});

describe('deescalate', () => {
  it('a scheduled deescalate before expiry is refused (an extension moved it), at expiry it invokes', () => {
    const run = escalated();
    expect(refusal(() => applyStep(run, input('deescalate', 'x', { origin: 'engine', deescalateType: 'scheduled' }), ctx(at(100)))).message).toMatch(/is early/);
    const t = applyStep(run, input('deescalate', 'x', { origin: 'engine', deescalateType: 'scheduled' }), ctx(at(601)));
    expect(t.run).toMatchObject({ state: 'deescalating', deescalateType: 'scheduled', deescalateAttempts: 1 });
    expect(kinds(t.effects)).toEqual(['invoke:deescalate']);
  });

  it('a revoke by the requester or approver deescalates now and cancels the schedule', () => {
    for (const who of ['alice', 'BOB']) {
      const t = applyStep(escalated(), input('deescalate', who), ctx(at(10)));
      expect(t.run.deescalateType).toBe('revoke');
      expect(t.effects[0]).toEqual({ kind: 'cancel_schedule', step: 'deescalate' });
    }
  });

  it('a revoke is refused when the flow does not allow it', () => {
    const c = { ...ctx(at(10)), flow: { ...flow, allowRevoke: false } };
    expect(refusal(() => applyStep(escalated(), input('deescalate', 'alice'), c)).code).toBe('revoke_not_allowed');
  });

  it('a failed deescalate stays due so the sweep retries; a later success ends the run', () => {
    const deescalating = applyStep(escalated(), input('deescalate', 'x', { origin: 'engine' }), ctx(at(602))).run;
    const failed = applyInvokeResult(deescalating, 'deescalate', { body: null, errors: ['down'] }, ctx(at(603))).run;
    expect(failed.state).toBe('deescalation_failed');
    expect(failed.dueAt).toBe(failed.expiresAt);
    const retry = applyStep(failed, input('deescalate', 'x', { origin: 'engine', deescalateType: 'sweep' }), ctx(at(700))).run;
    const done = applyInvokeResult(retry, 'deescalate', { body: { ok: 1 }, errors: [] }, ctx(at(701)));
    expect(done.run.state).toBe('deescalated');
    expect(done.run.dueAt).toBeUndefined();
    expect(done.run.deescalateAttempts).toBe(2);
    expect(kinds(done.effects)).toEqual(['emit:escalation.deescalated', 'after_hook:deescalate']);
  });

  it('an output for a step the run has not claimed is refused', () => {
    expect(refusal(() => applyInvokeResult(escalated(), 'deescalate', { body: null, errors: [] }, ctx())).message).toBe(
      'cannot save deescalate output for run r1: it is escalated, not deescalating',
    );
  });
});

describe('ignore and bookkeeping', () => {
  it('records an ignored event in the history and remembers its id', () => {
    const run = requested();
    const i = input('approve', 'carol');
    const t = applyIgnore(run, i, 'not now', ctx());
    expect(t.run.state).toBe('requested');
    expect(t.run.version).toBe(run.version + 1);
    expect(t.run.ignoredMessage).toBe('not now');
    expect(isDuplicate(t.run, i.eventId)).toBe(true);
    expect(t.run.history.at(-1)).toMatchObject({ step: 'approve', outcome: 'ignored', detail: { message: 'not now' } });
  });

  it('every transition bumps the version by one and appends to the history', () => {
    const first = requested();
    const second = applyStep(first, input('approve', 'bob'), ctx(at(1))).run;
    const third = applyInvokeResult(second, 'escalate', { body: {}, errors: [] }, ctx(at(2))).run;
    expect([first, second, third].map((r) => r.version)).toEqual([1, 2, 3]);
    expect(third.history.slice(0, 2)).toEqual(second.history);
    expect(second.history.slice(0, 1)).toEqual(first.history);
    expect(third.history.map((h) => `${h.step}:${h.outcome}`)).toEqual(['request:accepted', 'approve:accepted', 'escalate_result:succeeded']);
  });
});

describe('rebase, slots', () => {
  it('rebase applies a hook\'s replacement over the write already made, keeping both in the audit', () => {
    const before = requested();
    const approve = input('approve', 'bob');
    const saved = applyStep(before, approve, ctx(at(1))).run;
    const deny = applyStep(before, input('deny', 'bob', { origin: 'hook', eventId: `${approve.eventId}:deny` }), ctx(at(1)));
    const t = rebase(saved, before, deny);
    expect(t.run).toMatchObject({ state: 'denied', version: saved.version + 1, createdAt: before.createdAt });
    expect(t.run.claim).toBeUndefined();
    expect(t.run.history.map((h) => h.step)).toEqual(['request', 'approve', 'deny']);
    expect(isDuplicate(t.run, approve.eventId)).toBe(true);
    expect(isDuplicate(t.run, `${approve.eventId}:deny`)).toBe(true);
    expect(t.effects).toBe(deny.effects);
  });

  it('a grant and an extension need the slot; other steps do not', () => {
    const r = requested();
    const e = escalating();
    expect(needsSlot(r, e)).toBe(true);
    expect(needsSlot(e, escalated())).toBe(false);
    const withExtension = applyStep(escalated(), input('request', 'alice', { durationSeconds: 3600 }), ctx(at(10))).run;
    expect(needsSlot(escalated(), withExtension)).toBe(false);
    const extended = applyStep(withExtension, input('approve', 'bob'), ctx(at(20))).run;
    expect(needsSlot(withExtension, extended)).toBe(true);
  });

  it('a slot counts as held until expiry plus twice the sweep grace', () => {
    expect(slotHeldUntil(escalated(), flow)).toBe('2026-01-01T00:20:01.000Z');
  });
});
