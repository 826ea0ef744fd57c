import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../lambda/dispatcher.js';
import { newFaultFlow, type FaultFlow } from '../support/fault-flow.js';
import { BOB, busEvent, CAROL, startLocalAws, TARGET_SRN, type LocalAws } from '../support/local-aws.js';
import { seedFromEnv, type SeededRandom } from '../support/seeded-random.js';
import { scheduledBusEvent } from '../support/virtual-scheduler.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

const SEED = seedFromEnv(6002);
const RUNS = 30;
const DURATION_S = 600;
const requester = (i: number) => ({ username: `race-user-${i}@example.com`, name: `User ${i}` });

async function handle(f: FaultFlow, event: Record<string, unknown>): Promise<DispatchResult> {
  return (await f.dispatcher.handle(event)) as DispatchResult;
}

/**
 * Runs both sides at once. One side does more I/O before its deciding write (approve also
 * takes the access slot; an extension is two events), so a seeded head start of a few ms
 * for either side is what makes both orders happen.
 */
async function race<A, B>(rng: SeededRandom, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  const headStart = rng.int(-8, 8);
  const later = <T>(ms: number, fn: () => Promise<T>) => (ms <= 0 ? fn() : new Promise<void>((r) => setTimeout(r, ms)).then(fn));
  return Promise.all([later(-headStart, a), later(headStart, b)]);
}

async function escalatedRuns(f: FaultFlow, prefix: string): Promise<string[]> {
  const runIds = Array.from({ length: RUNS }, (_, i) => `${prefix}-${i}`);
  await Promise.all(runIds.map((runId, i) => handle(f, busEvent('request', { runId, actor: requester(i), targetSrn: TARGET_SRN, duration: DURATION_S }))));
  const approved = await Promise.all(runIds.map((runId) => handle(f, busEvent('approve', { runId, actor: BOB }))));
  for (const r of approved) expect(r).toMatchObject({ status: 'applied', state: 'escalated' });
  return runIds;
}

describe(`races (seed ${SEED})`, () => {
  it('approve vs deny: one winner, a clean run, a clear refusal for the loser', async () => {
    const f = await newFaultFlow(aws, { seed: SEED });
    try {
      const runIds = Array.from({ length: RUNS }, (_, i) => `ad-${SEED}-${i}`);
      await Promise.all(runIds.map((runId, i) => handle(f, busEvent('request', { runId, actor: requester(i), targetSrn: TARGET_SRN, duration: DURATION_S }))));
      const outcomes = await Promise.all(
        runIds.map(async (runId) => {
          const [approve, deny] = await race(f.rng, () => handle(f, busEvent('approve', { runId, actor: BOB })), () => handle(f, busEvent('deny', { runId, actor: CAROL })));
          return { runId, approve, deny };
        }),
      );
      let approvals = 0;
      for (const { runId, approve, deny } of outcomes) {
        const winner = approve.status === 'applied' ? approve : deny;
        const loser = winner === approve ? deny : approve;
        expect(winner.status, runId).toBe('applied');
        expect(loser, runId).toMatchObject({ status: 'refused', code: 'transition_not_allowed' });
        expect((loser as { message: string }).message).toMatch(new RegExp(`^(approve|deny) is not allowed: run ${runId} is (escalating|escalated|denied)`));
        const run = await f.t.store.get(runId);
        if (winner === approve) {
          approvals++;
          expect(run?.state).toBe('escalated');
          expect(run?.actors.deny).toBeUndefined();
          expect(f.ledger.count(runId, 'escalate')).toBe(1);
        } else {
          expect(run).toMatchObject({ state: 'denied' });
          expect(run?.actors.approve).toBeUndefined();
          expect(run?.claim).toBeUndefined();
          expect(f.ledger.count(runId, 'escalate')).toBe(0);
        }
        expect(run?.history.filter((h) => h.outcome === 'accepted').map((h) => h.step)).toEqual(['request', winner === approve ? 'approve' : 'deny']);
      }
      // Both sides must win some: a race one side always wins is not being exercised.
      expect(approvals).toBeGreaterThan(0);
      expect(approvals).toBeLessThan(RUNS);
    } finally {
      f.close();
    }
  });

  it('early revoke vs the scheduled deescalate: the deescalate Lambda runs once', async () => {
    const f = await newFaultFlow(aws, { seed: SEED + 1 });
    try {
      const runIds = await escalatedRuns(f, `rv-${SEED}`);
      f.t.advance(DURATION_S * 1000);
      const due = f.scheduler.takeDue(f.t.now());
      expect(due).toHaveLength(RUNS);
      const outcomes = await Promise.all(
        runIds.map(async (runId, i) => {
          const [scheduled, revoke] = await race(
            f.rng,
            () => handle(f, scheduledBusEvent(due.find((d) => d.runId === runId)!)),
            () => handle(f, busEvent('deescalate', { runId, actor: requester(i) })),
          );
          return { runId, scheduled, revoke };
        }),
      );
      const revokeWins = outcomes.filter((o) => o.revoke.status === 'applied').length;
      for (const { runId, scheduled, revoke } of outcomes) {
        const [winner, loser] = revoke.status === 'applied' ? [revoke, scheduled] : [scheduled, revoke];
        expect(winner, runId).toMatchObject({ status: 'applied', state: 'deescalated' });
        expect(loser, runId).toMatchObject({ status: 'refused', code: 'transition_not_allowed' });
        expect((loser as { message: string }).message).toMatch(
          new RegExp(`run ${runId} is (already deescalating|deescalating, not escalated|deescalated)|deescalate is not allowed: run ${runId} is deescalated`),
        );
        expect(f.ledger.count(runId, 'deescalate'), runId).toBe(1);
        expect(f.ledger.granted(runId)).toBe(false);
        const run = await f.t.store.get(runId);
        expect(run?.state).toBe('deescalated');
        expect(run?.deescalateType).toBe(winner === revoke ? 'revoke' : 'scheduled');
      }
      expect(revokeWins).toBeGreaterThan(0);
      expect(revokeWins).toBeLessThan(RUNS);
    } finally {
      f.close();
    }
  });

  it('extension (request + approve) vs expiry: either the extension or the deescalation wins, never both', async () => {
    const f = await newFaultFlow(aws, { seed: SEED + 2 });
    try {
      const runIds = await escalatedRuns(f, `ex-${SEED}`);
      f.t.advance(DURATION_S * 1000);
      const due = f.scheduler.takeDue(f.t.now());
      const outcomes = await Promise.all(
        runIds.map(async (runId, i) => {
          const [extension, scheduled] = await race(
            f.rng,
            async () => {
              const request = await handle(f, busEvent('request', { runId, actor: requester(i), duration: DURATION_S }));
              const approve = await handle(f, busEvent('approve', { runId, actor: BOB }));
              return { request, approve };
            },
            () => handle(f, scheduledBusEvent(due.find((d) => d.runId === runId)!)),
          );
          return { runId, ...extension, scheduled };
        }),
      );
      let extended = 0;
      for (const { runId, request, approve, scheduled } of outcomes) {
        const run = await f.t.store.get(runId);
        expect([approve.status, scheduled.status].filter((s) => s === 'applied'), runId).toHaveLength(1);
        if (approve.status === 'applied') {
          extended++;
          expect(request.status).toBe('applied');
          expect(scheduled).toMatchObject({ status: 'refused', code: 'transition_not_allowed' });
          expect((scheduled as { message: string }).message).toMatch(/^scheduled deescalate for run \S+ is early: access lasts until /);
          expect(run?.state).toBe('escalated');
          expect(Date.parse(run!.expiresAt!)).toBe(f.t.now().getTime() + DURATION_S * 1000);
          expect(f.ledger.count(runId, 'deescalate')).toBe(0);
        } else {
          expect(scheduled).toMatchObject({ status: 'applied', state: 'deescalated' });
          expect(approve).toMatchObject({ status: 'refused' });
          expect((approve as { message: string }).message).toMatch(new RegExp(`run ${runId} (is deescalat|already exists \\(deescalat)|^approve is not allowed`));
          if (request.status !== 'applied') expect((request as { message: string }).message).toMatch(/already exists \(deescalat/);
          expect(run?.state).toBe('deescalated');
          expect(run?.extension).toBeUndefined();
          expect(f.ledger.count(runId, 'deescalate')).toBe(1);
          expect(f.ledger.granted(runId)).toBe(false);
        }
        expect(f.ledger.count(runId, 'escalate')).toBe(1);
      }
      // The extended runs still end, at their new expiry, through their moved schedule.
      f.t.advance(DURATION_S * 1000);
      for (const event of f.scheduler.takeDue(f.t.now())) expect(await handle(f, scheduledBusEvent(event))).toMatchObject({ status: 'applied', state: 'deescalated' });
      for (const runId of runIds) {
        expect((await f.t.store.get(runId))?.state).toBe('deescalated');
        expect(f.ledger.granted(runId)).toBe(false);
      }
      expect(extended).toBeGreaterThan(0);
      expect(extended).toBeLessThan(RUNS);
    } finally {
      f.close();
    }
  });
});
