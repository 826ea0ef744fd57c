// `npm run soak`: 1,000 runs with duplicate deliveries, races, injected SDK faults, crashes
// between invoke and save, and lost schedules, on a compressed clock. Not part of npm test.
import type { DispatchResult } from '../lambda/dispatcher.js';
import type { Delivery } from '../test/support/delivery-harness.js';
import { newFaultFlow } from '../test/support/fault-flow.js';
import { BOB, busEvent, CAROL, startLocalAws, TARGET_SRN } from '../test/support/local-aws.js';
import { lostAnOutputWrite } from '../test/support/sdk-fault-injector.js';
import { seedFromEnv } from '../test/support/seeded-random.js';

const RUNS = Number(process.env.SOAK_RUNS ?? 1000);
const SEED = seedFromEnv(6006);
const MINUTE = 60_000;
const TICK = 30_000;
const SWEEP_EVERY = 5 * MINUTE;
const FAULTS_FOR = 90 * MINUTE;
/** A failed deescalation waits at most an hour before the sweep retries it (engine/sweep.ts). */
const MAX_RETRY_WAIT = 60 * MINUTE;

type Kind = 'normal' | 'deny' | 'approve_vs_deny' | 'revoke_vs_expiry' | 'extension_vs_expiry' | 'never_decided';
const KINDS: readonly [Kind, number][] = [
  ['normal', 0.55],
  ['deny', 0.1],
  ['approve_vs_deny', 0.1],
  ['revoke_vs_expiry', 0.1],
  ['extension_vs_expiry', 0.1],
  ['never_decided', 0.05],
];

interface Plan {
  readonly runId: string;
  readonly kind: Kind;
  readonly requester: { username: string; name: string };
  readonly duration: number;
  request?: Delivery[];
  decided: boolean;
}

const accepted = (ds: readonly Delivery[] | undefined) =>
  ds?.some((d) => d.results.some((r) => ['applied', 'duplicate'].includes((r as DispatchResult).status))) ?? false;

const aws = await startLocalAws();
const f = await newFaultFlow(aws, {
  seed: SEED,
  faultRate: 0.05,
  flow: { requestTimeoutSeconds: 3600 },
  harness: { sweepEveryMs: SWEEP_EVERY, tickMs: TICK, scheduleDuplicateRate: 0.2, maxAttempts: 12 },
});
const rng = f.rng.fork('soak');
f.store.crashRandomly(rng.fork('crash'), 0.02);
f.scheduler.loseSchedules(rng.fork('schedules'), 0.05);
const started = performance.now();
const t0 = f.t.now().getTime();

const plans: Plan[] = Array.from({ length: RUNS }, (_, i) => {
  let roll = rng.next();
  const kind = KINDS.find(([, p]) => (roll -= p) < 0)?.[0] ?? 'normal';
  return { runId: `soak-${SEED}-${i}`, kind, requester: { username: `soak-${i}@example.com`, name: `Soak ${i}` }, duration: rng.int(5, 30) * 60, decided: false };
});
const copies = () => (rng.chance(0.5) ? rng.int(2, 3) : 1);
for (const plan of plans) {
  plan.request = f.harness.send(busEvent('request', { runId: plan.runId, actor: plan.requester, targetSrn: TARGET_SRN, duration: plan.duration }), {
    copies: copies(),
    delayMs: rng.int(0, 60) * MINUTE,
    label: `${plan.runId} request`,
  });
}

/** An approver reacts to the `requested` notification: decisions follow an accepted request. */
function decide(plan: Plan): void {
  const { runId } = plan;
  const send = (step: string, detail: Record<string, unknown>, delayMs = 0, source?: string) =>
    f.harness.send(busEvent(step, { runId, ...detail }, source ? { source } : {}), { copies: copies(), delayMs, label: `${runId} ${step}` });
  const thinking = rng.int(0, 4) * TICK;
  const expiry = thinking + plan.duration * 1000;
  switch (plan.kind) {
    case 'never_decided':
      return;
    case 'deny':
      send('deny', { actor: CAROL }, thinking);
      return;
    case 'approve_vs_deny':
      send('approve', { actor: BOB }, thinking);
      send('deny', { actor: CAROL }, thinking);
      return;
    case 'normal':
      send('approve', { actor: BOB }, thinking);
      return;
    case 'revoke_vs_expiry':
      send('approve', { actor: BOB }, thinking);
      send('deescalate', { actor: plan.requester }, expiry);
      return;
    case 'extension_vs_expiry':
      send('approve', { actor: BOB }, thinking);
      send('request', { actor: plan.requester, duration: plan.duration }, expiry);
      send('approve', { actor: BOB }, expiry + TICK);
      return;
  }
}

let faultsStoppedAt: number | undefined;
const until = t0 + 14 * 60 * MINUTE;
let lastReport = t0;
while (f.t.now().getTime() < until) {
  const now = f.t.now().getTime();
  if (faultsStoppedAt === undefined && now - t0 >= FAULTS_FOR) {
    f.faults.enabled = false;
    f.store.stopCrashing();
    faultsStoppedAt = now;
  }
  await f.harness.tick();
  for (const plan of plans) {
    if (!plan.decided && accepted(plan.request)) {
      plan.decided = true;
      decide(plan);
    }
  }
  if (now - lastReport >= 2 * 60 * MINUTE) {
    lastReport = now;
    console.log(`  t+${((now - t0) / 3_600_000).toFixed(1)}h: ${f.harness.deliveries.length} deliveries, ${f.harness.pending} pending, ${f.faults.injected.length} faults, ${f.store.crashes.length} crashes, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  if (faultsStoppedAt !== undefined && f.harness.pending === 0 && f.scheduler.size === 0 && now - faultsStoppedAt > MAX_RETRY_WAIT + SWEEP_EVERY) break;
}

// The verdict, read through the clean client.
const grace = f.t.flow.sweepGraceSeconds * 1000;
const lostWrites = f.faults.injected.map(lostAnOutputWrite).filter((r) => r !== undefined);
let activePastExpiry = 0;
let doubleGrants = 0;
let lostEvents = 0;
const states = new Map<string, number>();
const problems: string[] = [];
for (const plan of plans) {
  const run = await f.t.store.get(plan.runId);
  states.set(run?.state ?? 'missing', (states.get(run?.state ?? 'missing') ?? 0) + 1);
  if (f.ledger.count(plan.runId, 'escalate') > 0) {
    const revokedAt = f.ledger.revokedAt(plan.runId);
    const due = run?.expiresAt ? Date.parse(run.expiresAt) + grace : Number.POSITIVE_INFINITY;
    const allowed = (due < (faultsStoppedAt ?? 0) ? (faultsStoppedAt as number) + MAX_RETRY_WAIT : due) + SWEEP_EVERY + TICK;
    if (revokedAt === undefined || revokedAt > allowed) {
      activePastExpiry++;
      problems.push(`${plan.runId} (${plan.kind}): access ${revokedAt === undefined ? 'never revoked' : `revoked ${((revokedAt - allowed) / 1000).toFixed(0)} s late`}, state ${run?.state}`);
    }
  }
  const excused =
    f.store.crashes.filter((c) => c.runId === plan.runId && c.step === 'escalate').length +
    lostWrites.filter((r) => r.runId === plan.runId && r.history.at(-1)?.step === 'escalate_result').length;
  if (f.ledger.count(plan.runId, 'escalate') > 1 + excused) {
    doubleGrants++;
    problems.push(`${plan.runId} (${plan.kind}): escalate ran ${f.ledger.count(plan.runId, 'escalate')} times, ${excused} excused by a crash or lost write`);
  }
  const seen = new Set([...(run?.processedEventIds ?? []), ...(run?.history.map((h) => h.eventId) ?? [])]);
  const mine = f.harness.deliveries.filter((d) => (d.event.detail as { runId?: string }).runId === plan.runId && d.label !== 'scheduled deescalate');
  for (const d of mine) {
    const applied = d.results.some((r) => (r as DispatchResult).status === 'applied');
    const dead = d.deadLettered && !d.results.some((r) => ['duplicate', 'refused', 'ignored'].includes((r as DispatchResult).status));
    if ((applied || dead) && !seen.has(String(d.event.id))) {
      lostEvents++;
      problems.push(`${plan.runId}: ${d.label} ${applied ? 'was applied' : 'was dead-lettered'} but the run does not show it`);
    }
  }
}
const faultKinds = new Map<string, number>();
for (const fault of f.faults.injected) faultKinds.set(`${fault.service}.${fault.operation}:${fault.kind}`, (faultKinds.get(`${fault.service}.${fault.operation}:${fault.kind}`) ?? 0) + 1);
console.log(`seed ${SEED}; ${RUNS} runs; ${f.harness.deliveries.length} deliveries (${f.harness.deliveries.reduce((n, d) => n + d.attempts, 0)} attempts); ${f.harness.deadLetters.length} dead-lettered; ${f.harness.sweeps} sweeps (${f.harness.sweepFailures} failed)`);
console.log(`faults: ${f.faults.injected.length} injected (${[...faultKinds].map(([k, n]) => `${k}=${n}`).join(', ')}); ${f.store.crashes.length} crashes after an invoke; ${f.scheduler.lost.length} schedules lost`);
console.log(`end states: ${[...states].map(([s, n]) => `${s}=${n}`).join(', ')}`);
console.log(`virtual time ${((f.t.now().getTime() - t0) / 3_600_000).toFixed(1)} h, faults stopped at t+${(((faultsStoppedAt ?? t0) - t0) / MINUTE).toFixed(0)} min, wall ${((performance.now() - started) / 1000).toFixed(0)} s`);
for (const p of problems.slice(0, 20)) console.log(`  problem: ${p}`);
f.close();
await aws.stop();
console.log(`runs=${RUNS} active_past_expiry=${activePastExpiry} double_grants=${doubleGrants} lost_events=${lostEvents}`);
