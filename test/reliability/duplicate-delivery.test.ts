import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../lambda/dispatcher.js';
import type { CountedHook } from '../support/counting-hooks.js';
import type { Delivery } from '../support/delivery-harness.js';
import { newFaultFlow, type FaultFlow } from '../support/fault-flow.js';
import { BOB, busEvent, startLocalAws, TARGET_SRN, type LocalAws } from '../support/local-aws.js';
import { seedFromEnv } from '../support/seeded-random.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

const SEED = seedFromEnv(6001);
const RUNS = 40;

const requester = (i: number) => ({ username: `dup-user-${i}@example.com`, name: `User ${i}` });
const statuses = (deliveries: readonly Delivery[]) => deliveries.flatMap((d) => d.results.map((r) => (r as DispatchResult).status));

describe(`duplicate delivery (seed ${SEED})`, () => {
  it('every event 2-3 times, concurrently and shuffled: each Lambda and each hook runs once per run', async () => {
    const f: FaultFlow = await newFaultFlow(aws, { seed: SEED, harness: { scheduleDuplicateRate: 1 } });
    try {
      const copies = () => f.rng.int(2, 3);
      const runIds = Array.from({ length: RUNS }, (_, i) => `dup-${SEED}-${i}`);
      const revoked = new Set(runIds.filter(() => f.rng.chance(0.3)));
      const sent = new Map<string, Delivery[]>();
      const send = (key: string, event: Record<string, unknown>) => sent.set(key, f.harness.send(event, { copies: copies(), label: key }));

      runIds.forEach((runId, i) => send(`${runId} request`, busEvent('request', { runId, actor: requester(i), targetSrn: TARGET_SRN, duration: 600 })));
      await f.harness.tick();
      runIds.forEach((runId) => send(`${runId} approve`, busEvent('approve', { runId, actor: BOB })));
      await f.harness.tick();
      runIds.forEach((runId, i) => {
        if (revoked.has(runId)) send(`${runId} revoke`, busEvent('deescalate', { runId, actor: requester(i) }));
      });
      const finished = await f.harness.runUntil(async () => {
        for (const runId of runIds) if ((await f.t.store.get(runId))?.state !== 'deescalated') return false;
        return true;
      }, 30 * 60_000);
      expect(finished, 'every run deescalated').toBe(true);
      expect(f.harness.deadLetters).toEqual([]);

      for (const [key, deliveries] of sent) {
        const s = statuses(deliveries);
        expect(s.filter((x) => x === 'applied'), key).toHaveLength(1);
        expect(s.filter((x) => x !== 'applied' && x !== 'duplicate'), key).toEqual([]);
      }
      const hooks: CountedHook[] = ['afterRequest', 'afterApprove', 'afterEscalate', 'afterDeescalate'];
      for (const runId of runIds) {
        expect(f.ledger.count(runId, 'escalate'), runId).toBe(1);
        expect(f.ledger.count(runId, 'deescalate'), runId).toBe(1);
        for (const hook of hooks) expect(f.hooks.count(runId, hook), `${runId} ${hook}`).toBe(1);
      }
      expect(f.hooks.repeated()).toEqual([]);
      expect(f.hooks.outputReadFailures).toEqual([]);
      // Scheduled deescalations were delivered twice too; the revoked runs' schedules were cancelled.
      const scheduled = f.harness.deliveries.filter((d) => d.label === 'scheduled deescalate');
      expect(scheduled.length).toBe(2 * (RUNS - revoked.size));
      expect(f.ledger.entries.filter((e) => e.fn === 'deescalate' && e.deescalateType === 'revoke')).toHaveLength(revoked.size);
    } finally {
      f.close();
    }
  });

  async function approvePhaseWithOnHooks(seed: number): Promise<{ f: FaultFlow; runIds: string[] }> {
    const f = await newFaultFlow(aws, { seed, onHooks: true });
    const runIds = Array.from({ length: 20 }, (_, i) => `dup-on-${seed}-${i}`);
    runIds.forEach((runId, i) => f.harness.send(busEvent('request', { runId, actor: requester(100 + i), targetSrn: TARGET_SRN, duration: 600 }), { copies: 3 }));
    await f.harness.tick();
    runIds.forEach((runId) => f.harness.send(busEvent('approve', { runId, actor: BOB }), { copies: 3 }));
    await f.harness.tick();
    return { f, runIds };
  }

  it('onRequest and onEscalate run once per run under concurrent duplicates (they run after the create / the claim)', async () => {
    const { f, runIds } = await approvePhaseWithOnHooks(SEED + 1);
    try {
      for (const runId of runIds) {
        expect(f.ledger.count(runId, 'escalate'), runId).toBe(1);
        for (const hook of ['onRequest', 'afterRequest', 'afterApprove', 'onEscalate', 'afterEscalate'] as const) {
          expect(f.hooks.count(runId, hook), `${runId} ${hook}`).toBe(1);
        }
      }
    } finally {
      f.close();
    }
  });

  // ENGINE BUG (reported, lambda/dispatcher.ts dispatchOnce): for an existing run the on*
  // hook runs BEFORE the conditional write that records the event id, so N concurrent
  // copies of one approve all run onApprove (the write then lets one win). A hook with a
  // side effect (a chat message, a ticket) fires N times. `it.fails` keeps this suite
  // green and turns red the day it is fixed: then make it a plain `it`.
  it('onApprove runs once per run under concurrent duplicate approves (it runs after the write that records the approve)', async () => {
    const { f, runIds } = await approvePhaseWithOnHooks(SEED + 2);
    try {
      for (const runId of runIds) expect(f.hooks.count(runId, 'onApprove'), `${runId} onApprove`).toBe(1);
    } finally {
      f.close();
    }
  });
});
