import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../lambda/dispatcher.js';
import { ApprovalTemplate, defineHooks } from '../../lambda/sdk/index.js';
import type { LambdaPayload } from '../../lambda/strategy/lambda-payload.js';
import { ALICE, BOB, CAROL, busEvent, newTestFlow, OTHER_TARGET_SRN, startLocalAws, TARGET_SRN, type LocalAws, type TestFlow } from '../support/local-aws.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

const MINUTE = 60_000;
const scheduled = (runId: string) => busEvent('deescalate', { runId }, { source: 'lambda-escalation.scheduler' });

function invocations(runId: string, fn: string): LambdaPayload[] {
  return aws.lambdaServer.invocations
    .filter((i) => i.functionName === fn && (i.payload as LambdaPayload).run.srn.endsWith(`:${runId}`))
    .map((i) => i.payload as LambdaPayload);
}

async function escalate(t: TestFlow, runId: string, duration = 3600, target = TARGET_SRN): Promise<void> {
  await t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, targetSrn: target, duration }));
  const result = await t.dispatcher.handle(busEvent('approve', { runId, actor: BOB }));
  expect(result).toMatchObject({ status: 'applied', state: 'escalated' });
}

describe('early revoke', () => {
  it('by the requester: deescalates now, cancels the schedule; the late scheduled deescalate changes nothing', async () => {
    const t = await newTestFlow(aws);
    await escalate(t, 'revoke-1');
    t.advance(5 * MINUTE);
    const revoked = await t.dispatcher.handle(busEvent('deescalate', { runId: 'revoke-1', actor: ALICE }));
    expect(revoked).toMatchObject({ status: 'applied', state: 'deescalated' });
    expect(t.scheduler.cancelled).toEqual([{ runId: 'revoke-1', step: 'deescalate' }]);
    expect(invocations('revoke-1', 'deescalate')[0]!.fields.deescalate_type).toBe('revoke');
    expect(invocations('revoke-1', 'deescalate')[0]!.actor.username).toBe(ALICE.username);

    const before = await t.scan();
    t.advance(60 * MINUTE);
    const late = await t.dispatcher.handle(scheduled('revoke-1'));
    expect(late).toMatchObject({ status: 'refused', code: 'transition_not_allowed' });
    expect(await t.scan()).toEqual(before);
    expect(invocations('revoke-1', 'deescalate')).toHaveLength(1);
  });

  it('by the approver is allowed; by a stranger, twice, or before escalation it is refused clearly', async () => {
    const t = await newTestFlow(aws);
    await escalate(t, 'revoke-2');
    expect(await t.dispatcher.handle(busEvent('deescalate', { runId: 'revoke-2', actor: CAROL }))).toMatchObject({
      status: 'refused',
      code: 'revoke_not_allowed',
    });
    expect(await t.dispatcher.handle(busEvent('deescalate', { runId: 'revoke-2', actor: BOB }))).toMatchObject({ state: 'deescalated' });
    expect(await t.dispatcher.handle(busEvent('deescalate', { runId: 'revoke-2', actor: BOB }))).toEqual({
      status: 'refused',
      code: 'transition_not_allowed',
      runId: 'revoke-2',
      message: 'deescalate is not allowed: run revoke-2 is deescalated; it has ended and accepts nothing more',
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'revoke-3', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('deescalate', { runId: 'revoke-3', actor: ALICE }))).toMatchObject({
      status: 'refused',
      code: 'transition_not_allowed',
    });
  });

  it('revoke racing the scheduled deescalate: the Lambda runs once', async () => {
    const t = await newTestFlow(aws);
    await escalate(t, 'revoke-race', 60);
    t.advance(MINUTE);
    const results = await Promise.all([t.dispatcher.handle(scheduled('revoke-race')), t.dispatcher.handle(busEvent('deescalate', { runId: 'revoke-race', actor: ALICE }))]);
    expect(results.filter((r) => (r as DispatchResult).status === 'applied')).toHaveLength(1);
    expect(invocations('revoke-race', 'deescalate')).toHaveLength(1);
    expect((await t.store.get('revoke-race'))?.state).toBe('deescalated');
  });
});

describe('extension', () => {
  it('moves the expiry out after approval, updates the schedule, never revokes in between, does not re-invoke escalate', async () => {
    const t = await newTestFlow(aws);
    await escalate(t, 'ext-1', 3600);
    t.advance(50 * MINUTE);
    expect(await t.dispatcher.handle(busEvent('request', { runId: 'ext-1', actor: ALICE, duration: '1h' }))).toMatchObject({
      status: 'applied',
      state: 'escalated',
    });
    expect((await t.store.get('ext-1'))?.extension?.duration).toBe(3600);
    const approved = await t.dispatcher.handle(busEvent('approve', { runId: 'ext-1', actor: BOB }));
    expect(approved).toMatchObject({ status: 'applied', state: 'escalated', steps: ['approve'] });
    const run = await t.store.get('ext-1');
    expect(run?.expiresAt).toBe('2026-12-04T11:50:00.000Z');
    expect(t.scheduler.pendingFor('ext-1')).toEqual({ runId: 'ext-1', step: 'deescalate', at: new Date('2026-12-04T11:50:00.000Z') });
    // The first schedule, still firing at the old expiry, must not cut the extension short.
    t.advance(10 * MINUTE);
    expect(await t.dispatcher.handle(scheduled('ext-1'))).toMatchObject({ status: 'refused', message: expect.stringMatching(/is early: access lasts until 2026-12-04T11:50:00.000Z/) });
    expect((await t.store.get('ext-1'))?.state).toBe('escalated');
    expect(invocations('ext-1', 'escalate')).toHaveLength(1);
    expect(invocations('ext-1', 'deescalate')).toHaveLength(0);
    expect(t.publisher.typesFor('ext-1')).toEqual(['escalation.requested', 'escalation.approved', 'escalation.escalated', 'escalation.requested', 'escalation.extended']);
    t.advance(50 * MINUTE);
    expect(await t.dispatcher.handle(scheduled('ext-1'))).toMatchObject({ state: 'deescalated' });
  });

  it('auto-approved by onRequest', async () => {
    const t = await newTestFlow(aws, { dispatcher: { hooks: defineHooks({ onRequest: () => ApprovalTemplate.approve() }) } });
    await t.dispatcher.handle(busEvent('request', { runId: 'ext-auto', actor: ALICE, targetSrn: TARGET_SRN, duration: 600 }));
    t.advance(5 * MINUTE);
    expect(await t.dispatcher.handle(busEvent('request', { runId: 'ext-auto', actor: ALICE, duration: 600 }))).toMatchObject({
      state: 'escalated',
      steps: ['request', 'approve'],
    });
    expect((await t.store.get('ext-auto'))?.expiresAt).toBe('2026-12-04T10:15:00.000Z');
  });

  it('re-invokes escalate when the flow asks, and a failure there keeps the current grant', async () => {
    let fail = false;
    aws.lambdaServer.setFunction('escalate-reinvoke', () => (fail ? { body: null, errors: ['quota'] } : { body: { n: 1 }, errors: [] }));
    const t = await newTestFlow(aws, { flow: { escalateFunction: 'escalate-reinvoke', reinvokeEscalateOnExtend: true } });
    await escalate(t, 'ext-re', 600);
    await t.dispatcher.handle(busEvent('request', { runId: 'ext-re', actor: ALICE, duration: 1200 }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'ext-re', actor: BOB }))).toMatchObject({ state: 'escalated', steps: ['approve', 'escalate_result'] });
    expect((await t.store.get('ext-re'))?.expiresAt).toBe('2026-12-04T10:20:00.000Z');
    fail = true;
    await t.dispatcher.handle(busEvent('request', { runId: 'ext-re', actor: ALICE, duration: 3600 }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'ext-re', actor: BOB }))).toMatchObject({ state: 'escalated' });
    expect((await t.store.get('ext-re'))?.expiresAt).toBe('2026-12-04T10:20:00.000Z');
    expect(invocations('ext-re', 'deescalate')).toHaveLength(0);
    expect(t.publisher.typesFor('ext-re').at(-1)).toBe('escalation.errored');
  });

  it('is refused for someone else, another target, past the maximum, or twice at once', async () => {
    const t = await newTestFlow(aws);
    await escalate(t, 'ext-bad');
    const before = await t.scan();
    const cases: [Record<string, unknown>, string][] = [
      [{ runId: 'ext-bad', actor: CAROL }, 'carol@example.com may not extend run ext-bad: only its requester (alice@example.com) may'],
      [
        { runId: 'ext-bad', actor: ALICE, targetSrn: OTHER_TARGET_SRN },
        `run ext-bad grants ${TARGET_SRN}; an extension cannot change the target to ${OTHER_TARGET_SRN}: request a new run for it`,
      ],
      [{ runId: 'ext-bad', actor: ALICE, duration: '13h' }, "duration 46800s is over flow test-flow's maximum of 43200s: request at most 43200s"],
    ];
    for (const [detail, message] of cases) {
      expect(await t.dispatcher.handle(busEvent('request', detail))).toMatchObject({ status: 'refused', message });
    }
    expect(await t.scan()).toEqual(before);
    await t.dispatcher.handle(busEvent('request', { runId: 'ext-bad', actor: ALICE }));
    expect(await t.dispatcher.handle(busEvent('request', { runId: 'ext-bad', actor: ALICE }))).toMatchObject({
      status: 'refused',
      message: expect.stringMatching(/^run ext-bad already has an extension waiting for approval/),
    });
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'ext-bad', actor: ALICE }))).toMatchObject({ code: 'self_approval' });
    expect(await t.dispatcher.handle(busEvent('deny', { runId: 'ext-bad', actor: BOB }))).toMatchObject({ state: 'escalated' });
    expect((await t.store.get('ext-bad'))?.extension).toBeUndefined();
  });

  it('extension racing expiry: one wins, and the run ends up consistent', async () => {
    for (let i = 0; i < 10; i++) {
      const t = await newTestFlow(aws);
      const runId = `ext-race-${i}`;
      await escalate(t, runId, 600);
      await t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, duration: 600 }));
      t.advance(10 * MINUTE);
      const [approve, expire] = (await Promise.all([
        t.dispatcher.handle(busEvent('approve', { runId, actor: BOB })),
        t.dispatcher.handle(scheduled(runId)),
      ])) as DispatchResult[];
      const run = await t.store.get(runId);
      if (approve!.status === 'applied') {
        // The extension won; the scheduled deescalate either ran first-then-lost or was refused as early.
        expect(expire!.status).toBe('refused');
        expect(run?.state).toBe('escalated');
        expect(run?.expiresAt).toBe('2026-12-04T10:20:00.000Z');
      } else {
        expect(expire!.status).toBe('applied');
        expect(run?.state).toBe('deescalated');
        expect(approve).toMatchObject({ status: 'refused' });
      }
      expect(invocations(runId, 'deescalate').length).toBe(run?.state === 'deescalated' ? 1 : 0);
    }
  });
});

describe('overlap', () => {
  it('refuses to escalate a second run for the same requester and target while the first is active', async () => {
    const t = await newTestFlow(aws);
    await escalate(t, 'ov-1');
    await t.dispatcher.handle(busEvent('request', { runId: 'ov-2', actor: ALICE, targetSrn: TARGET_SRN }));
    const before = await t.scan();
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'ov-2', actor: BOB }))).toEqual({
      status: 'refused',
      code: 'overlapping_run',
      runId: 'ov-2',
      message: `alice@example.com already has ${TARGET_SRN} through run ov-1 until 2026-12-04T11:00:00.000Z: to extend it, send a request with runId ov-1`,
    });
    expect(await t.scan()).toEqual(before);
    // Another target is not an overlap.
    await escalate(t, 'ov-other', 3600, OTHER_TARGET_SRN);
    // Once the first has ended, the second may escalate (it takes the slot over).
    await t.dispatcher.handle(busEvent('deescalate', { runId: 'ov-1', actor: ALICE }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'ov-2', actor: BOB }))).toMatchObject({ state: 'escalated' });
  });

  it('two runs approved at once for the same access: exactly one is escalated', async () => {
    const t = await newTestFlow(aws);
    for (let i = 0; i < 10; i++) {
      const a = `ovr-${i}-a`;
      const b = `ovr-${i}-b`;
      const target = i % 2 === 0 ? TARGET_SRN : OTHER_TARGET_SRN;
      await t.dispatcher.handle(busEvent('request', { runId: a, actor: { username: `user${i}@example.com` }, targetSrn: target }));
      await t.dispatcher.handle(busEvent('request', { runId: b, actor: { username: `user${i}@example.com` }, targetSrn: target }));
      const results = (await Promise.all([
        t.dispatcher.handle(busEvent('approve', { runId: a, actor: BOB })),
        t.dispatcher.handle(busEvent('approve', { runId: b, actor: BOB })),
      ])) as DispatchResult[];
      expect(results.map((r) => r.status).sort()).toEqual(['applied', 'refused']);
      const states = [(await t.store.get(a))?.state, (await t.store.get(b))?.state].sort();
      expect(states).toEqual(['escalated', 'requested']);
    }
  });

  it('allows both when the flow allows overlap', async () => {
    const t = await newTestFlow(aws, { flow: { allowOverlap: true } });
    await escalate(t, 'ovok-1');
    await escalate(t, 'ovok-2');
  });
});

describe('request expiry and forwarding', () => {
  it('an undecided request expires through the sweep: the run ends and nothing is granted', async () => {
    const t = await newTestFlow(aws, { flow: { requestTimeoutSeconds: 600 } });
    await t.dispatcher.handle(busEvent('request', { runId: 'exp-1', actor: ALICE, targetSrn: TARGET_SRN }));
    t.advance(9 * MINUTE);
    expect((await t.dispatcher.sweep()).fired).toEqual([]);
    t.advance(MINUTE);
    expect((await t.dispatcher.sweep()).fired).toEqual([{ status: 'applied', runId: 'exp-1', state: 'expired', steps: ['request_expire'] }]);
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'exp-1', actor: BOB }))).toMatchObject({ status: 'refused', code: 'transition_not_allowed' });
    expect(invocations('exp-1', 'escalate')).toHaveLength(0);
    expect(t.publisher.typesFor('exp-1')).toEqual(['escalation.requested', 'escalation.expired']);
  });

  it('request expiry racing an approval: one wins', async () => {
    const t = await newTestFlow(aws, { flow: { requestTimeoutSeconds: 600 } });
    for (let i = 0; i < 10; i++) {
      await t.dispatcher.handle(busEvent('request', { runId: `exprace-${i}`, actor: { username: `u${i}@x.com` }, targetSrn: TARGET_SRN }));
    }
    t.advance(10 * MINUTE);
    const [swept, ...approvals] = await Promise.all([
      t.dispatcher.sweep(),
      ...Array.from({ length: 10 }, (_, i) => t.dispatcher.handle(busEvent('approve', { runId: `exprace-${i}`, actor: BOB }))),
    ]);
    for (let i = 0; i < 10; i++) {
      const run = await t.store.get(`exprace-${i}`);
      const approved = (approvals[i] as DispatchResult).status === 'applied';
      expect(run?.state).toBe(approved ? 'escalated' : 'expired');
      expect(invocations(`exprace-${i}`, 'escalate')).toHaveLength(approved ? 1 : 0);
    }
    expect(swept.examined).toBe(10);
  });

  it('forwards to backup approvers after the forward time, then they may approve', async () => {
    const t = await newTestFlow(aws, {
      flow: { requestTimeoutSeconds: 3600, forwardApprovers: [CAROL.username], forwardAfterSeconds: 600 },
      dispatcher: { hooks: defineHooks({ getPermissions: () => ({ approvers: [BOB.username] }) }) },
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'fwd', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'fwd', actor: CAROL }))).toMatchObject({ code: 'not_an_approver' });
    t.advance(10 * MINUTE);
    expect((await t.dispatcher.sweep()).fired).toEqual([{ status: 'applied', runId: 'fwd', state: 'forwarded', steps: ['request_forward'] }]);
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'fwd', actor: CAROL }))).toMatchObject({ state: 'escalated' });
  });
});

describe('audit', () => {
  it('keeps every step, actor, decision, output and error of a run, in order', async () => {
    aws.lambdaServer.setFunction('deescalate-once-broken', (() => {
      let calls = 0;
      return () => (++calls === 1 ? { body: null, errors: ['first try fails'] } : { body: { ok: true }, errors: [] });
    })());
    const t = await newTestFlow(aws, { flow: { deescalateFunction: 'deescalate-once-broken' } });
    await t.dispatcher.handle(busEvent('request', { runId: 'audit', actor: ALICE, targetSrn: TARGET_SRN, duration: 60, fields: { reason: 'INC-7' } }));
    await t.dispatcher.handle(busEvent('approve', { runId: 'audit', actor: CAROL }));
    t.advance(MINUTE);
    await t.dispatcher.handle(scheduled('audit'));
    t.advance(10 * MINUTE);
    await t.dispatcher.sweep();
    const run = await t.store.get('audit');
    expect(run?.history.map((h) => [h.step, h.actor, h.outcome])).toEqual([
      ['request', ALICE.username, 'accepted'],
      ['approve', CAROL.username, 'accepted'],
      ['escalate_result', 'lambda-escalation', 'succeeded'],
      ['deescalate', 'lambda-escalation', 'accepted'],
      ['deescalate_result', 'lambda-escalation', 'failed'],
      ['deescalate', 'lambda-escalation', 'accepted'],
      ['deescalate_result', 'lambda-escalation', 'succeeded'],
    ]);
    expect(run?.history[4]?.detail).toEqual({ errors: ['first try fails'] });
    const times = run!.history.map((h) => h.at);
    expect([...times].sort()).toEqual(times);
    expect(run?.outputs.deescalate).toMatchObject({ body: { ok: true }, errors: [] });
  });
});
