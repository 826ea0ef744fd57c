import type { FlowConfig } from '../config/flow-config.js';
import type { RunRecord } from './run.js';
import { ENGINE_ACTOR, type StepInput } from './step-input.js';
import { forwardTime, isClaimStale, type EngineContext } from './transitions.js';

/** Retry a failed deescalation after 30 s, doubling, at most hourly. */
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 3_600_000;

/**
 * What the sweep must fire for a due run, if anything: an expired or forwardable request,
 * or a deescalation whose schedule was lost, failed, or whose function failed. The event
 * id is derived from the run's version, so two sweeps racing on one run apply it once.
 */
export function planSweepStep(run: RunRecord, flow: FlowConfig, ctx: EngineContext): StepInput | undefined {
  const now = ctx.now.toISOString();
  const base = { runId: run.runId, actor: ENGINE_ACTOR, origin: 'engine' as const, fields: {}, eventId: `sweep-${run.runId}-v${run.version}` };
  switch (run.state) {
    case 'requested': {
      if (run.requestExpiresAt && run.requestExpiresAt <= now) return { ...base, step: 'request_expire' };
      const forwardAt = forwardTime(run, flow);
      if (forwardAt && forwardAt <= now) return { ...base, step: 'request_forward' };
      return undefined;
    }
    case 'prompted':
    case 'forwarded':
      return run.requestExpiresAt && run.requestExpiresAt <= now ? { ...base, step: 'request_expire' } : undefined;
    case 'escalated':
      return overdue(run, flow, ctx) ? { ...base, step: 'deescalate', deescalateType: 'sweep' } : undefined;
    case 'escalating':
      // Crashed mid-grant: whatever the function did, take it back once access should have ended.
      return overdue(run, flow, ctx) && isClaimStale(run, ctx) ? { ...base, step: 'deescalate', deescalateType: 'sweep' } : undefined;
    case 'deescalating':
      return isClaimStale(run, ctx) ? { ...base, step: 'deescalate', deescalateType: run.deescalateType ?? 'sweep' } : undefined;
    case 'deescalation_failed': {
      const wait = Math.min(RETRY_BASE_MS * 2 ** Math.max(0, run.deescalateAttempts - 1), RETRY_MAX_MS);
      return Date.parse(run.updatedAt) + wait <= ctx.now.getTime()
        ? { ...base, step: 'deescalate', deescalateType: run.deescalateType ?? 'sweep' }
        : undefined;
    }
    default:
      return undefined;
  }
}

function overdue(run: RunRecord, flow: FlowConfig, ctx: EngineContext): boolean {
  return run.expiresAt !== undefined && Date.parse(run.expiresAt) + flow.sweepGraceSeconds * 1000 <= ctx.now.getTime();
}
