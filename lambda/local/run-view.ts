import type { DispatchResult, SweepResult } from '../dispatcher.js';
import type { RunRecord, RunState } from '../engine/run.js';
import type { LifecycleEvent } from '../events/lifecycle-event.js';

/** Every run state, for validating `--state` and `GET /runs?state=`. */
export const RUN_STATES = [
  'prompted',
  'requested',
  'forwarded',
  'escalating',
  'escalated',
  'deescalating',
  'deescalation_failed',
  'deescalated',
  'denied',
  'expired',
  'errored',
  'ignored',
] as const satisfies readonly RunState[];

// Fails to compile when RunState gains a member RUN_STATES lacks.
type MissingStates = Exclude<RunState, (typeof RUN_STATES)[number]>;
const allStatesListed: MissingStates extends never ? true : never = true;
void allStatesListed;

export function isRunState(value: string): value is RunState {
  return (RUN_STATES as readonly string[]).includes(value);
}

/**
 * A run as `show --json` prints it and `GET /runs/<id>` serves it: the stored run (state,
 * requester, target, duration, expiry, step outputs, history) without the engine's
 * bookkeeping of processed event ids, plus the lifecycle events this process published
 * for it. Derived from {@link RunRecord} so it follows the engine as it grows.
 */
export type RunView = Omit<RunRecord, 'processedEventIds'> & {
  /** Lifecycle events published since this `serve` started (they are not stored). */
  readonly lifecycle: readonly LifecycleEvent[];
};

/** One line of `list`. */
export interface RunSummary {
  readonly runId: string;
  readonly state: RunState;
  readonly requester: string;
  readonly targetSrn: string;
  readonly duration: number;
  readonly createdAt: string;
  readonly expiresAt?: string;
}

/** What became of one event that entered local mode, as `GET /events/<id>` serves it. */
export interface EventOutcome {
  readonly eventId: string;
  /** The event's `detail-type`. */
  readonly step: string;
  readonly source: string;
  /** `detail.runId`, when the event named one. */
  readonly runId?: string;
  readonly receivedAt: string;
  /** `processing` until the dispatcher is done; `failed` when it threw on every attempt. */
  readonly status: 'processing' | 'done' | 'failed';
  readonly result?: DispatchResult | SweepResult;
  /** Why it failed, when it did. */
  readonly error?: string;
  readonly attempts: number;
  /** How long the dispatcher took, retries included. */
  readonly ms?: number;
}

export function toRunView(run: RunRecord, lifecycle: readonly LifecycleEvent[]): RunView {
  const { processedEventIds: _bookkeeping, ...rest } = run;
  return { ...rest, lifecycle };
}

export function toRunSummary(run: RunRecord): RunSummary {
  return {
    runId: run.runId,
    state: run.state,
    requester: run.requester.username,
    targetSrn: run.target.srn,
    duration: run.duration,
    createdAt: run.createdAt,
    ...(run.expiresAt !== undefined ? { expiresAt: run.expiresAt } : {}),
  };
}
