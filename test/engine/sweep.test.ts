import { describe, expect, it } from 'vitest';
import { flowConfigSchema } from '../../lambda/config/flow-config.js';
import type { RunRecord } from '../../lambda/engine/run.js';
import { planSweepStep } from '../../lambda/engine/sweep.js';
import type { EngineContext } from '../../lambda/engine/transitions.js';

const flow = flowConfigSchema.parse({
  name: 'f',
  escalateFunction: 'e',
  deescalateFunction: 'd',
  targets: [{ srn: 'acme:access_target:aws_lambda_function:db:latest' }],
  sweepGraceSeconds: 300,
  requestTimeoutSeconds: 3600,
});
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const ctx = (s: number): EngineContext => ({ now: new Date(T0 + s * 1000), flow, claimStaleAfterMs: 120_000 });
const run = (extra: Partial<RunRecord>): RunRecord => ({
  runId: 'r',
  flow: 'f',
  version: 3,
  state: 'escalated',
  requester: { username: 'a', name: '', at: iso(0) },
  target: { srn: 'acme:access_target:aws_lambda_function:db:latest', settings: {} },
  duration: 600,
  fields: {},
  actors: {},
  createdAt: iso(0),
  updatedAt: iso(0),
  outputs: {},
  history: [],
  processedEventIds: [],
  deescalateAttempts: 0,
  ...extra,
});

describe('planSweepStep', () => {
  it('leaves an escalation alone until expiry + grace, then deescalates it, with an id tied to the version', () => {
    const r = run({ expiresAt: iso(600) });
    expect(planSweepStep(r, flow, ctx(899))).toBeUndefined();
    expect(planSweepStep(r, flow, ctx(900))).toMatchObject({ step: 'deescalate', deescalateType: 'sweep', origin: 'engine', eventId: 'sweep-r-v3' });
  });

  it('expires a request at its timeout, without grace', () => {
    const r = run({ state: 'requested', requestExpiresAt: iso(3600) });
    expect(planSweepStep(r, flow, ctx(3599))).toBeUndefined();
    expect(planSweepStep(r, flow, ctx(3600))).toMatchObject({ step: 'request_expire' });
  });

  it('takes back a crashed grant only once its claim is stale and access should have ended', () => {
    const r = run({ state: 'escalating', expiresAt: iso(600), claim: { step: 'escalate', eventId: 'e', at: iso(850) } });
    expect(planSweepStep(r, flow, ctx(900))).toBeUndefined();
    expect(planSweepStep(r, flow, ctx(970))).toMatchObject({ step: 'deescalate' });
  });

  it('retries a failed deescalation with backoff: 30 s, 60 s, 120 s …', () => {
    const failed = (attempts: number) => run({ state: 'deescalation_failed', expiresAt: iso(600), deescalateAttempts: attempts, updatedAt: iso(1000) });
    expect(planSweepStep(failed(1), flow, ctx(1029))).toBeUndefined();
    expect(planSweepStep(failed(1), flow, ctx(1030))).toMatchObject({ step: 'deescalate' });
    expect(planSweepStep(failed(3), flow, ctx(1119))).toBeUndefined();
    expect(planSweepStep(failed(3), flow, ctx(1120))).toMatchObject({ step: 'deescalate' });
  });

  it('does nothing for ended runs', () => {
    for (const state of ['deescalated', 'denied', 'expired', 'errored', 'ignored'] as const) {
      expect(planSweepStep(run({ state, expiresAt: iso(0) }), flow, ctx(100_000))).toBeUndefined();
    }
  });
});
