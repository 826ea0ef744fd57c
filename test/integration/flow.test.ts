import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalTemplate, ApprovalTemplateStep, defineHooks, getStepOutput, type StepOutput } from '../../lambda/sdk/index.js';
import type { LambdaPayload } from '../../lambda/strategy/lambda-payload.js';
import { ALICE, BOB, CAROL, busEvent, newTestFlow, startLocalAws, TARGET_SRN, type LocalAws } from '../support/local-aws.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

function invocationsOf(runId: string, functionName: string): LambdaPayload[] {
  return aws.lambdaServer.invocations
    .filter((i) => i.functionName === functionName && (i.payload as LambdaPayload).run.srn.endsWith(`:${runId}`))
    .map((i) => i.payload as LambdaPayload);
}

describe('a whole run: request -> approve -> escalate -> deescalate', () => {
  it('saves what the Lambdas return and hands it to hooks and to deescalate', async () => {
    const seen: Record<string, StepOutput> = {};
    const hooks = defineHooks({
      async afterEscalate() {
        seen.afterEscalate = await getStepOutput();
      },
      async afterDeescalate() {
        seen.afterDeescalateOwn = await getStepOutput();
        seen.afterDeescalateEscalate = await getStepOutput(ApprovalTemplateStep.ESCALATE);
      },
    });
    const t = await newTestFlow(aws, { dispatcher: { hooks } });
    const runId = 'run-happy';

    const requested = await t.dispatcher.handle(
      busEvent('request', { runId, actor: ALICE, targetSrn: TARGET_SRN, duration: '30m', fields: { reason: 'INC-42' } }),
    );
    expect(requested).toEqual({ status: 'applied', runId, state: 'requested', steps: ['request'] });

    const approved = await t.dispatcher.handle(busEvent('approve', { runId, actor: BOB }));
    expect(approved).toEqual({ status: 'applied', runId, state: 'escalated', steps: ['approve', 'escalate_result'] });

    const escalatePayloads = invocationsOf(runId, 'escalate');
    expect(escalatePayloads).toHaveLength(1);
    const payload = escalatePayloads[0]!;
    expect(payload.event.type).toBe('escalate');
    expect(payload.actor.username).toBe(BOB.username);
    expect(payload.fields.duration).toBe(1800);
    expect(payload.fields.reason).toBe('INC-42');
    expect(payload.fields.target.srn).toBe(TARGET_SRN);
    expect(payload.fields.target.settings).toEqual({ arn: 'arn:aws:rds:us-east-1:123456789012:db:prod' });
    expect(Object.keys(payload.run.actors).sort()).toEqual(['approve', 'escalate', 'request']);

    const expectedEscalate = {
      body: { grantId: `grant:acme:run:test-flow:1.0.0:${runId}`, target: TARGET_SRN, approver: BOB.username },
      errors: [],
    };
    expect(seen.afterEscalate).toEqual(expectedEscalate);

    const run = await t.store.get(runId);
    expect(run?.state).toBe('escalated');
    expect(run?.expiresAt).toBe('2026-12-04T10:30:00.000Z');
    expect(t.scheduler.scheduled).toEqual([{ runId, step: 'deescalate', at: new Date('2026-12-04T10:30:00.000Z') }]);

    t.advance(30 * 60 * 1000);
    const deescalated = await t.dispatcher.handle(
      busEvent('deescalate', { runId }, { source: 'lambda-escalation.scheduler' }),
    );
    expect(deescalated).toEqual({ status: 'applied', runId, state: 'deescalated', steps: ['deescalate', 'deescalate_result'] });

    const deescalatePayload = invocationsOf(runId, 'deescalate')[0]!;
    expect(deescalatePayload.outputs?.escalate).toEqual(expectedEscalate);
    expect(deescalatePayload.fields.deescalate_type).toBe('scheduled');
    expect(seen.afterDeescalateEscalate).toEqual(expectedEscalate);
    expect(seen.afterDeescalateOwn).toEqual({ body: { revoked: expectedEscalate.body.grantId }, errors: [] });

    expect(t.publisher.typesFor(runId)).toEqual([
      'escalation.requested',
      'escalation.approved',
      'escalation.escalated',
      'escalation.deescalated',
    ]);
    const history = (await t.store.get(runId))?.history.map((h) => `${h.step}:${h.outcome}`);
    expect(history).toEqual([
      'request:accepted',
      'approve:accepted',
      'escalate_result:succeeded',
      'deescalate:accepted',
      'deescalate_result:succeeded',
    ]);
  });

  it('auto-approves from onRequest, with the requester as approver and no self-approval refusal', async () => {
    const t = await newTestFlow(aws, {
      dispatcher: { hooks: defineHooks({ onRequest: () => ApprovalTemplate.approve() }) },
    });
    const result = await t.dispatcher.handle(busEvent('request', { runId: 'run-auto', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(result).toMatchObject({ status: 'applied', state: 'escalated', steps: ['request', 'approve', 'escalate_result'] });
    const run = await t.store.get('run-auto');
    expect(run?.actors.approve).toMatchObject({ username: ALICE.username, viaHook: true });
    expect(invocationsOf('run-auto', 'escalate')).toHaveLength(1);
  });

  it('drops an event a hook ignores and tells the actor why', async () => {
    const t = await newTestFlow(aws, {
      dispatcher: {
        hooks: defineHooks({
          onApprove: (event) =>
            event.user.username === CAROL.username ? ApprovalTemplate.ignore({ message: 'Carol is on leave' }) : undefined,
        }),
      },
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'run-ignore', actor: ALICE, targetSrn: TARGET_SRN }));
    const ignored = await t.dispatcher.handle(busEvent('approve', { runId: 'run-ignore', actor: CAROL }));
    expect(ignored).toEqual({ status: 'ignored', runId: 'run-ignore', message: 'Carol is on leave' });
    const run = await t.store.get('run-ignore');
    expect(run?.state).toBe('requested');
    expect(run?.history.at(-1)).toMatchObject({ step: 'approve', outcome: 'ignored', actor: CAROL.username });
    expect(invocationsOf('run-ignore', 'escalate')).toHaveLength(0);
  });

  it('denies: the run ends, nothing is granted, and later steps are refused', async () => {
    const t = await newTestFlow(aws);
    await t.dispatcher.handle(busEvent('request', { runId: 'run-deny', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('deny', { runId: 'run-deny', actor: BOB }))).toMatchObject({
      status: 'applied',
      state: 'denied',
    });
    const late = await t.dispatcher.handle(busEvent('approve', { runId: 'run-deny', actor: BOB }));
    expect(late).toEqual({
      status: 'refused',
      code: 'transition_not_allowed',
      runId: 'run-deny',
      message: 'approve is not allowed: run run-deny is denied; it has ended and accepts nothing more',
    });
    expect(invocationsOf('run-deny', 'escalate')).toHaveLength(0);
    expect(t.publisher.typesFor('run-deny')).toEqual(['escalation.requested', 'escalation.denied']);
  });

  it('refuses self-approval, and approvals from outside getPermissions', async () => {
    const t = await newTestFlow(aws, {
      dispatcher: { hooks: defineHooks({ getPermissions: () => ({ approvers: [BOB.username] }) }) },
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'run-perm', actor: ALICE, targetSrn: TARGET_SRN }));
    const before = await t.scan();
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'run-perm', actor: ALICE }))).toMatchObject({
      status: 'refused',
      code: 'self_approval',
    });
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'run-perm', actor: CAROL }))).toEqual({
      status: 'refused',
      code: 'not_an_approver',
      runId: 'run-perm',
      message: 'carol@example.com may not approve run run-perm: approvers are bob@example.com',
    });
    expect(await t.scan()).toEqual(before);
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'run-perm', actor: BOB }))).toMatchObject({ state: 'escalated' });
  });

  it('allows self-approval when getPermissions says so', async () => {
    const t = await newTestFlow(aws, {
      dispatcher: { hooks: defineHooks({ getPermissions: () => ({ approvers: [ALICE.username], allowSelfApproval: true }) }) },
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'run-self', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'run-self', actor: ALICE }))).toMatchObject({ state: 'escalated' });
  });
});

describe('on-hooks that replace, revise or fail', () => {
  it('onApprove returning deny: the run is denied, nothing is granted, the audit shows both', async () => {
    const t = await newTestFlow(aws, { dispatcher: { hooks: defineHooks({ onApprove: () => ApprovalTemplate.deny({ why: 'change freeze' }) }) } });
    await t.dispatcher.handle(busEvent('request', { runId: 'hook-deny', actor: ALICE, targetSrn: TARGET_SRN }));
    const approve = busEvent('approve', { runId: 'hook-deny', actor: BOB });
    expect(await t.dispatcher.handle(approve)).toEqual({ status: 'applied', runId: 'hook-deny', state: 'denied', steps: ['deny'] });
    const run = await t.store.get('hook-deny');
    expect(run?.history.map((h) => `${h.step}:${h.outcome}`)).toEqual(['request:accepted', 'approve:accepted', 'deny:accepted']);
    expect(run?.claim).toBeUndefined();
    expect(run?.history.at(-1)?.detail).toEqual({ origin: 'hook', fields: { why: 'change freeze' } });
    expect(await t.dispatcher.handle(approve)).toEqual({ status: 'duplicate', runId: 'hook-deny', state: 'denied' });
    expect(invocationsOf('hook-deny', 'escalate')).toHaveLength(0);
    expect(t.publisher.typesFor('hook-deny')).toEqual(['escalation.requested', 'escalation.denied']);
  });

  it('a failing onApprove never grants: the approval is not applied and the actor is told why', async () => {
    const t = await newTestFlow(aws, {
      dispatcher: {
        hooks: defineHooks({
          onApprove: () => {
            throw new Error('policy service down');
          },
        }),
      },
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'hook-fail', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'hook-fail', actor: BOB }))).toEqual({
      status: 'ignored',
      runId: 'hook-fail',
      message: 'the onApprove hook failed: Error: policy service down; approve was not applied',
    });
    const run = await t.store.get('hook-fail');
    expect(run?.state).toBe('requested');
    expect(run?.actors.approve).toBeUndefined();
    expect(invocationsOf('hook-fail', 'escalate')).toHaveLength(0);
  });

  it('onRequest returning request() with another duration revises the request', async () => {
    const t = await newTestFlow(aws, {
      dispatcher: { hooks: defineHooks({ onRequest: (event) => (event.run.duration > 900 ? ApprovalTemplate.request({ duration: '15m' }) : undefined) }) },
    });
    expect(await t.dispatcher.handle(busEvent('request', { runId: 'hook-rev', actor: ALICE, targetSrn: TARGET_SRN, duration: '2h' }))).toMatchObject({
      status: 'applied',
      state: 'requested',
    });
    expect((await t.store.get('hook-rev'))?.duration).toBe(900);
    expect(t.publisher.typesFor('hook-rev')).toEqual(['escalation.requested']);
  });
});

describe('duplicate delivery', () => {
  it('invokes escalate and deescalate once however often each event arrives', async () => {
    let afterEscalateCalls = 0;
    const t = await newTestFlow(aws, {
      dispatcher: {
        hooks: defineHooks({
          afterEscalate: () => {
            afterEscalateCalls++;
          },
        }),
      },
    });
    const request = busEvent('request', { runId: 'run-dup', actor: ALICE, targetSrn: TARGET_SRN });
    const approve = busEvent('approve', { runId: 'run-dup', actor: BOB });
    expect((await t.dispatcher.handle(request)) as { status: string }).toMatchObject({ status: 'applied' });
    expect(await t.dispatcher.handle(request)).toEqual({ status: 'duplicate', runId: 'run-dup', state: 'requested' });
    const results = await Promise.all([t.dispatcher.handle(approve), t.dispatcher.handle(approve), t.dispatcher.handle(approve)]);
    expect(results.filter((r) => (r as { status: string }).status === 'applied')).toHaveLength(1);
    expect(results.filter((r) => (r as { status: string }).status === 'duplicate')).toHaveLength(2);
    t.advance(3600 * 1000);
    const deescalate = busEvent('deescalate', { runId: 'run-dup' }, { source: 'lambda-escalation.scheduler' });
    await Promise.all([t.dispatcher.handle(deescalate), t.dispatcher.handle(deescalate)]);
    expect(await t.dispatcher.handle(deescalate)).toEqual({ status: 'duplicate', runId: 'run-dup', state: 'deescalated' });
    expect(invocationsOf('run-dup', 'escalate')).toHaveLength(1);
    expect(invocationsOf('run-dup', 'deescalate')).toHaveLength(1);
    expect(afterEscalateCalls).toBe(1);
  });
});

describe('approve racing deny', () => {
  it('has exactly one winner in each of 50 races, and the loser gets a clear refusal', async () => {
    const t = await newTestFlow(aws);
    const races = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    await Promise.all(races.map((runId) => t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, targetSrn: TARGET_SRN }))));
    const outcomes = await Promise.all(
      races.map(async (runId) => {
        const [approve, deny] = await Promise.all([
          t.dispatcher.handle(busEvent('approve', { runId, actor: BOB })),
          t.dispatcher.handle(busEvent('deny', { runId, actor: CAROL })),
        ]);
        return { runId, approve: approve as { status: string; message?: string }, deny: deny as { status: string; message?: string } };
      }),
    );
    for (const { runId, approve, deny } of outcomes) {
      const winners = [approve, deny].filter((r) => r.status === 'applied');
      expect(winners, runId).toHaveLength(1);
      const loser = approve.status === 'applied' ? deny : approve;
      expect(loser.status).toBe('refused');
      expect(loser.message).toMatch(new RegExp(`^(approve|deny) is not allowed: run ${runId} is (escalating|escalated|denied)`));
      const run = await t.store.get(runId);
      expect(run?.state).toBe(approve.status === 'applied' ? 'escalated' : 'denied');
      expect(invocationsOf(runId, 'escalate')).toHaveLength(approve.status === 'applied' ? 1 : 0);
    }
  });
});

describe('escalate failures fail closed', () => {
  const failures: [string, () => unknown][] = [
    ['a function error', () => Promise.reject(new Error('IAM said no'))],
    ['non-empty errors', () => ({ body: { partial: true }, errors: ['group not found'] })],
    ['an API-Gateway error status', () => ({ statusCode: 500, body: JSON.stringify({ message: 'boom' }) })],
  ];
  for (const [name, handler] of failures) {
    it(`${name}: saves the error and runs a compensating deescalate`, async () => {
      const fn = `escalate-${name.replace(/\W+/g, '-')}`;
      aws.lambdaServer.setFunction(fn, handler);
      const t = await newTestFlow(aws, { flow: { escalateFunction: fn } });
      const runId = `fail-${fn}`;
      await t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, targetSrn: TARGET_SRN }));
      const result = await t.dispatcher.handle(busEvent('approve', { runId, actor: BOB }));
      expect(result).toMatchObject({ status: 'applied', state: 'deescalated', steps: ['approve', 'escalate_result', 'deescalate_result'] });
      const run = await t.store.get(runId);
      expect(run?.outputs.escalate?.errors.length).toBeGreaterThan(0);
      expect(run?.deescalateType).toBe('compensate');
      const compensations = invocationsOf(runId, 'deescalate');
      expect(compensations).toHaveLength(1);
      expect(compensations[0]!.fields.deescalate_type).toBe('compensate');
      expect(compensations[0]!.outputs?.escalate?.errors).toEqual(run?.outputs.escalate?.errors);
      expect(t.publisher.typesFor(runId)).toContain('escalation.errored');
      expect(t.scheduler.scheduled).toEqual([]);
    });
  }

  it('a timeout: the invocation is abandoned, saved as errored, and compensated', async () => {
    aws.lambdaServer.setFunction('escalate-slow', () => new Promise((r) => setTimeout(() => r({ body: {}, errors: [] }), 3_000)));
    const t = await newTestFlow(aws, { flow: { escalateFunction: 'escalate-slow' } });
    const { LambdaFunctionInvoker } = await import('../../lambda/strategy/lambda-function-invoker.js');
    const { Dispatcher } = await import('../../lambda/dispatcher.js');
    const dispatcher = new Dispatcher({
      flow: t.flow,
      store: t.store,
      scheduler: t.scheduler,
      publisher: t.publisher,
      invoker: new LambdaFunctionInvoker({ client: aws.lambda, timeoutMs: 300 }),
      clock: t.now,
    });
    await dispatcher.handle(busEvent('request', { runId: 'fail-timeout', actor: ALICE, targetSrn: TARGET_SRN }));
    const result = await dispatcher.handle(busEvent('approve', { runId: 'fail-timeout', actor: BOB }));
    expect(result).toMatchObject({ state: 'deescalated' });
    const run = await t.store.get('fail-timeout');
    expect(run?.outputs.escalate?.errors.join(' ')).toMatch(/escalate-slow/);
  });

  it('throttling beyond the SDK retries: errored and compensated', async () => {
    const t = await newTestFlow(aws);
    await t.dispatcher.handle(busEvent('request', { runId: 'fail-throttle', actor: ALICE, targetSrn: TARGET_SRN }));
    aws.lambdaServer.faults.throttleNext(2);
    const result = await t.dispatcher.handle(busEvent('approve', { runId: 'fail-throttle', actor: BOB }));
    expect(result).toMatchObject({ state: 'deescalated' });
    const run = await t.store.get('fail-throttle');
    expect(run?.outputs.escalate?.errors.join(' ')).toMatch(/TooManyRequests|thrott/i);
  });

  it('an unknown function: errored and compensated', async () => {
    const t = await newTestFlow(aws, { flow: { escalateFunction: 'no-such-function' } });
    await t.dispatcher.handle(busEvent('request', { runId: 'fail-missing', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'fail-missing', actor: BOB }))).toMatchObject({ state: 'deescalated' });
    expect((await t.store.get('fail-missing'))?.outputs.escalate?.errors.join(' ')).toMatch(/no-such-function/);
  });

  it('without compensation the run ends errored and nothing else is invoked', async () => {
    aws.lambdaServer.setFunction('escalate-broken', () => ({ body: null, errors: ['nope'] }));
    const t = await newTestFlow(aws, { flow: { escalateFunction: 'escalate-broken', compensateFailedEscalate: false } });
    await t.dispatcher.handle(busEvent('request', { runId: 'fail-nocomp', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'fail-nocomp', actor: BOB }))).toMatchObject({ state: 'errored' });
    expect(invocationsOf('fail-nocomp', 'deescalate')).toHaveLength(0);
  });

  it('a failed deescalate stays due, and the sweep retries it until it succeeds', async () => {
    let fail = true;
    aws.lambdaServer.setFunction('deescalate-flaky', () => (fail ? { body: null, errors: ['revoke API down'] } : { body: { ok: true }, errors: [] }));
    const t = await newTestFlow(aws, { flow: { deescalateFunction: 'deescalate-flaky' } });
    await t.dispatcher.handle(busEvent('request', { runId: 'flaky', actor: ALICE, targetSrn: TARGET_SRN, duration: 60 }));
    await t.dispatcher.handle(busEvent('approve', { runId: 'flaky', actor: BOB }));
    t.advance(60_000);
    expect(await t.dispatcher.handle(busEvent('deescalate', { runId: 'flaky' }, { source: 'lambda-escalation.scheduler' }))).toMatchObject({
      state: 'deescalation_failed',
    });
    expect(t.publisher.typesFor('flaky').at(-1)).toBe('escalation.errored');
    fail = false;
    t.advance(10 * 60_000);
    const swept = await t.dispatcher.sweep();
    expect(swept.fired).toEqual([{ status: 'applied', runId: 'flaky', state: 'deescalated', steps: ['deescalate', 'deescalate_result'] }]);
  });
});

describe('outputs too large for one item', () => {
  it('stores a large output compressed, and one too large even so as an error, keeping the escalation', async () => {
    aws.lambdaServer.setFunction('escalate-big', () => ({ body: { blob: 'x'.repeat(300_000) }, errors: [] }));
    aws.lambdaServer.setFunction('escalate-huge', () => ({
      body: { blob: Array.from({ length: 60_000 }, (_, i) => `${i}:${Math.random()}`).join(',') },
      errors: [],
    }));
    for (const [fn, compressed] of [['escalate-big', true], ['escalate-huge', false]] as const) {
      const t = await newTestFlow(aws, { flow: { escalateFunction: fn } });
      const runId = `size-${fn}`;
      await t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, targetSrn: TARGET_SRN }));
      expect(await t.dispatcher.handle(busEvent('approve', { runId, actor: BOB }))).toMatchObject({ state: 'escalated' });
      const run = await t.store.get(runId);
      expect(run?.state).toBe('escalated');
      expect(run?.expiresAt).toBeDefined();
      if (compressed) {
        expect((run?.outputs.escalate?.body as { blob: string }).blob).toHaveLength(300_000);
      } else {
        expect(run?.outputs.escalate?.body).toBeNull();
        expect(run?.outputs.escalate?.errors[0]).toMatch(/^escalate output of \d+ bytes is too large to store/);
      }
    }
  });
});

describe('custom strategy', () => {
  it('runs in process, and getStepOutput(ESCALATE) inside deescalate returns what escalate returned', async () => {
    const seen: StepOutput[] = [];
    const t = await newTestFlow(aws, {
      dispatcher: {
        invoker: undefined,
        strategy: {
          escalate: (targetId, event) => ({ granted: targetId, to: event.run.actors.request?.username ?? null }),
          deescalate: async () => {
            seen.push(await getStepOutput(ApprovalTemplateStep.ESCALATE));
            return { revoked: true };
          },
        },
      },
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'strategy', actor: ALICE, targetSrn: TARGET_SRN }));
    await t.dispatcher.handle(busEvent('approve', { runId: 'strategy', actor: BOB }));
    await t.dispatcher.handle(busEvent('deescalate', { runId: 'strategy', actor: ALICE }));
    expect(seen).toEqual([{ body: { granted: 'prod-db', to: ALICE.username }, errors: [] }]);
    expect((await t.store.get('strategy'))?.outputs.deescalate).toMatchObject({ body: { revoked: true }, errors: [] });
  });
});

describe('the sweep', () => {
  it('deescalates an escalation whose schedule was lost, once past the grace period', async () => {
    const t = await newTestFlow(aws);
    await t.dispatcher.handle(busEvent('request', { runId: 'lost', actor: ALICE, targetSrn: TARGET_SRN, duration: 600 }));
    await t.dispatcher.handle(busEvent('approve', { runId: 'lost', actor: BOB }));
    t.advance(600_000 + 60_000);
    expect((await t.dispatcher.sweep()).fired).toEqual([]);
    t.advance(t.flow.sweepGraceSeconds * 1000);
    const swept = await t.dispatcher.sweep();
    expect(swept.fired).toEqual([{ status: 'applied', runId: 'lost', state: 'deescalated', steps: ['deescalate', 'deescalate_result'] }]);
    expect(invocationsOf('lost', 'deescalate')[0]!.fields.deescalate_type).toBe('sweep');
    expect((await t.dispatcher.sweep()).fired).toEqual([]);
  });
});

describe('onEscalate', () => {
  it('cancels the grant by returning anything but nothing; it is then handled as a failed escalate', async () => {
    const t = await newTestFlow(aws, {
      dispatcher: { hooks: defineHooks({ onEscalate: () => ApprovalTemplate.ignore({ message: 'target under maintenance' }) }) },
    });
    await t.dispatcher.handle(busEvent('request', { runId: 'on-esc', actor: ALICE, targetSrn: TARGET_SRN }));
    expect(await t.dispatcher.handle(busEvent('approve', { runId: 'on-esc', actor: BOB }))).toMatchObject({ state: 'deescalated' });
    const run = await t.store.get('on-esc');
    expect(run?.outputs.escalate?.errors).toEqual(['escalate cancelled by the onEscalate hook: target under maintenance']);
    expect(invocationsOf('on-esc', 'escalate')).toHaveLength(0);
  });
});
