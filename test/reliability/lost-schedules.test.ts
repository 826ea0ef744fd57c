import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, busEvent, newTestFlow, startLocalAws, TARGET_SRN, type LocalAws } from '../support/local-aws.js';
import { SeededRandom, seedFromEnv } from '../support/seeded-random.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});

const SEED = seedFromEnv(6004);
const STEP_MS = 30_000;

describe(`lost schedules (seed ${SEED})`, () => {
  it('with schedules that never fire, the sweep alone deescalates every run after expiry + grace, and not before', async () => {
    // RecordingScheduler only records: no schedule ever fires, as if the group were deleted.
    const t = await newTestFlow(aws);
    const rng = new SeededRandom(SEED);
    const runs = Array.from({ length: 20 }, (_, i) => ({ runId: `lost-${SEED}-${i}`, duration: rng.int(1, 30) * 60 }));
    for (const [i, { runId, duration }] of runs.entries()) {
      const actor = { ...ALICE, username: `lost-user-${i}@example.com` };
      await t.dispatcher.handle(busEvent('request', { runId, actor, targetSrn: TARGET_SRN, duration }));
      expect(await t.dispatcher.handle(busEvent('approve', { runId, actor: BOB }))).toMatchObject({ state: 'escalated' });
    }
    expect(t.scheduler.scheduled).toHaveLength(runs.length);

    const grace = t.flow.sweepGraceSeconds * 1000;
    const deescalatedAt = new Map<string, number>();
    for (let elapsed = 0; deescalatedAt.size < runs.length && elapsed < 2 * 3600_000; elapsed += STEP_MS) {
      t.advance(STEP_MS);
      const swept = await t.dispatcher.sweep();
      for (const result of swept.fired) {
        expect(result).toMatchObject({ status: 'applied', state: 'deescalated' });
        if (result.status === 'applied') deescalatedAt.set(result.runId, t.now().getTime());
      }
    }
    for (const { runId } of runs) {
      const run = await t.store.get(runId);
      expect(run?.state, runId).toBe('deescalated');
      expect(run?.deescalateType).toBe('sweep');
      const due = Date.parse(run!.expiresAt!) + grace;
      const at = deescalatedAt.get(runId)!;
      expect(at, runId).toBeGreaterThanOrEqual(due);
      expect(at - due, runId).toBeLessThan(STEP_MS);
      expect(aws.lambdaServer.invocations.filter((c) => c.functionName === 'deescalate' && JSON.stringify(c.payload).includes(`:${runId}"`))).toHaveLength(1);
    }
    // Nothing left for the sweep: a further pass fires nothing.
    t.advance(3600_000);
    expect((await t.dispatcher.sweep()).fired).toEqual([]);
  });
});
