import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../lambda/dispatcher.js';
import { ACTIVE_STATES } from '../../lambda/engine/run.js';
import type { Delivery } from '../support/delivery-harness.js';
import { newFaultFlow, type FaultFlow } from '../support/fault-flow.js';
import { BOB, busEvent, startLocalAws, TARGET_SRN, type LocalAws } from '../support/local-aws.js';
import { lostAnOutputWrite } from '../support/sdk-fault-injector.js';
import { seedFromEnv } from '../support/seeded-random.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

const SEED = seedFromEnv(6003);
const MINUTE = 60_000;
const TICK = 30_000;
const requester = (i: number) => ({ username: `fault-user-${i}@example.com`, name: `User ${i}` });

const applied = (d: Delivery | undefined) => d?.results.some((r) => ['applied', 'duplicate'].includes((r as DispatchResult).status)) ?? false;

/**
 * Requests `runIds` and approves each once its request is through (an approver acts on
 * the `requested` notification, so an approve never overtakes its request), ticking the
 * harness; returns once every approve is delivered or `maxMs` passed.
 */
async function requestAndApprove(f: FaultFlow, runIds: readonly string[], durationS: number, maxMs: number): Promise<void> {
  const requests = new Map<string, Delivery>();
  const approves = new Map<string, Delivery>();
  runIds.forEach((runId, i) => requests.set(runId, f.harness.send(busEvent('request', { runId, actor: requester(i), targetSrn: TARGET_SRN, duration: durationS }))[0]!));
  await f.harness.runUntil(() => {
    for (const runId of runIds) {
      if (!approves.has(runId) && applied(requests.get(runId))) approves.set(runId, f.harness.send(busEvent('approve', { runId, actor: BOB }))[0]!);
    }
    return approves.size === runIds.length && [...approves.values()].every((d) => d.results.length > 0 || d.deadLettered);
  }, maxMs);
}

/** The final state of every run, after the harness ran until each is deescalated. */
async function settle(f: FaultFlow, runIds: readonly string[], maxMs: number): Promise<void> {
  const done = await f.harness.runUntil(async () => {
    for (const runId of runIds) if ((await f.t.store.get(runId))?.state !== 'deescalated') return false;
    return true;
  }, maxMs);
  if (!done) {
    const states = await Promise.all(runIds.map(async (id) => `${id}: ${(await f.t.store.get(id))?.state}`));
    throw new Error(`runs did not all end deescalated: ${states.join(', ')}`);
  }
}

/** Every grant the functions made was taken back by expiry + grace (+ the tick the sweep waits for). */
async function expectRevokedInTime(f: FaultFlow, runIds: readonly string[], notBefore = 0): Promise<void> {
  const grace = f.t.flow.sweepGraceSeconds * 1000;
  for (const runId of runIds) {
    const run = await f.t.store.get(runId);
    expect(ACTIVE_STATES).not.toContain(run?.state);
    expect(f.ledger.granted(runId), `${runId} still granted`).toBe(false);
    const revokedAt = f.ledger.revokedAt(runId);
    if (revokedAt === undefined) continue;
    const deadline = Math.max(Date.parse(run!.expiresAt!) + grace, notBefore) + 2 * TICK;
    expect(revokedAt, `${runId} revoked ${(revokedAt - deadline) / 1000}s past expiry + grace`).toBeLessThanOrEqual(deadline);
  }
}

describe(`faults injected through the SDK clients (seed ${SEED})`, () => {
  it('throttling, 5xx and timeouts on DynamoDB and Lambda: retried, and once they stop every run ends deescalated, none past expiry + grace', async () => {
    const f = await newFaultFlow(aws, { seed: SEED, faultRate: 0.15 });
    try {
      const runIds = Array.from({ length: 24 }, (_, i) => `faults-${SEED}-${i}`);
      await requestAndApprove(f, runIds, 30 * 60, 20 * MINUTE);
      f.faults.enabled = false;
      const faultsStoppedAt = f.t.now().getTime();
      await settle(f, runIds, 4 * 60 * MINUTE);

      expect(f.faults.count('DynamoDB')).toBeGreaterThan(5);
      expect(f.harness.deliveries.some((d) => d.errors.length > 0), 'some dispatch threw and was redelivered').toBe(true);
      expect(f.harness.deadLetters.map((d) => `${d.label}: ${d.errors.join(' | ')}`)).toEqual([]);
      // Expiries fall after the faults stopped: every revoke must be on time.
      await expectRevokedInTime(f, runIds, faultsStoppedAt);
      const lostWrites = f.faults.injected.map(lostAnOutputWrite).filter((r) => r !== undefined);
      for (const runId of runIds) {
        const allowed = 1 + lostWrites.filter((r) => r.runId === runId && r.history.at(-1)?.step === 'escalate_result').length;
        expect(f.ledger.count(runId, 'escalate'), `${runId} escalate invocations`).toBeLessThanOrEqual(allowed);
        const run = await f.t.store.get(runId);
        expect(run?.history.some((h) => h.step === 'approve' && h.outcome === 'accepted'), `${runId} lost its approve`).toBe(true);
      }
    } finally {
      f.close();
    }
  });

  it('faults also while runs expire: after they stop, every run is deescalated within the retry backoff', async () => {
    const f = await newFaultFlow(aws, { seed: SEED + 1, faultRate: 0.2 });
    try {
      const runIds = Array.from({ length: 16 }, (_, i) => `faults-late-${SEED}-${i}`);
      await requestAndApprove(f, runIds, 5 * 60, 15 * MINUTE);
      await f.harness.runFor(30 * MINUTE);
      f.faults.enabled = false;
      const faultsStoppedAt = f.t.now().getTime();
      await settle(f, runIds, 4 * 60 * MINUTE);
      expect(f.harness.deadLetters.map((d) => d.label)).toEqual([]);
      for (const runId of runIds) expect(f.ledger.granted(runId), runId).toBe(false);
      // A failed deescalation is retried with backoff (30 s doubling, at most hourly): the
      // last revoke lands within one backoff step of the faults stopping.
      const lastRevoke = Math.max(...runIds.map((id) => f.ledger.revokedAt(id) ?? 0));
      expect(lastRevoke - faultsStoppedAt).toBeLessThanOrEqual(60 * MINUTE + 2 * TICK);
    } finally {
      f.close();
    }
  });
});

describe('a crash between the Lambda invoke and the write of its output', () => {
  it('escalate: the redelivered approve, once the claim is stale, resumes and finishes the run', async () => {
    const f = await newFaultFlow(aws, { seed: SEED + 2, claimStaleAfterMs: 10_000 });
    try {
      const runId = `crash-esc-redeliver-${SEED}`;
      f.store.crashAfterInvoke('escalate', { runId });
      await requestAndApprove(f, [runId], 600, 10 * MINUTE);
      await settle(f, [runId], 60 * MINUTE);
      expect(f.store.crashes).toEqual([{ runId, step: 'escalate' }]);
      const approve = f.harness.deliveries.find((d) => d.label === 'approve')!;
      expect(approve.errors[0]).toMatch(/^SimulatedCrashError/);
      expect(approve.results).toEqual([expect.objectContaining({ status: 'applied', state: 'escalated' })]);
      // The function ran twice: once before the crash, once resumed. At-least-once, by design.
      expect(f.ledger.count(runId, 'escalate')).toBe(2);
      expect(f.ledger.count(runId, 'deescalate')).toBe(1);
      const run = await f.t.store.get(runId);
      expect(run?.history.map((h) => `${h.step}:${h.outcome}`)).toContain('escalate:resumed');
      expect(run?.deescalateType).toBe('scheduled');
      await expectRevokedInTime(f, [runId]);
    } finally {
      f.close();
    }
  });

  it('escalate: redelivered before the claim is stale it changes nothing, and the sweep revokes after expiry + grace', async () => {
    const f = await newFaultFlow(aws, { seed: SEED + 3 });
    try {
      const runId = `crash-esc-sweep-${SEED}`;
      f.store.crashAfterInvoke('escalate', { runId });
      await requestAndApprove(f, [runId], 600, 10 * MINUTE);
      expect((await f.t.store.get(runId))?.state).toBe('escalating');
      await settle(f, [runId], 60 * MINUTE);
      const approve = f.harness.deliveries.find((d) => d.label === 'approve')!;
      expect(approve.results).toEqual([expect.objectContaining({ status: 'duplicate', state: 'escalating' })]);
      expect(f.ledger.count(runId, 'escalate')).toBe(1);
      expect(f.ledger.entries.filter((e) => e.fn === 'deescalate').map((e) => e.deescalateType)).toEqual(['sweep']);
      const run = await f.t.store.get(runId);
      const grace = f.t.flow.sweepGraceSeconds * 1000;
      expect(f.ledger.revokedAt(runId)).toBeGreaterThanOrEqual(Date.parse(run!.expiresAt!) + grace);
      await expectRevokedInTime(f, [runId]);
    } finally {
      f.close();
    }
  });

  it('deescalate: the sweep resumes the stale claim and access is revoked', async () => {
    const f = await newFaultFlow(aws, { seed: SEED + 4 });
    try {
      const runId = `crash-deesc-${SEED}`;
      f.store.crashAfterInvoke('deescalate', { runId });
      await requestAndApprove(f, [runId], 600, 10 * MINUTE);
      await settle(f, [runId], 60 * MINUTE);
      expect(f.store.crashes).toEqual([{ runId, step: 'deescalate' }]);
      expect(f.ledger.count(runId, 'escalate')).toBe(1);
      expect(f.ledger.count(runId, 'deescalate')).toBe(2);
      expect(f.ledger.granted(runId)).toBe(false);
      expect((await f.t.store.get(runId))?.outputs.deescalate?.errors).toEqual([]);
      await expectRevokedInTime(f, [runId]);
    } finally {
      f.close();
    }
  });
});
