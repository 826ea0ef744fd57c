import type { RunRecord, RunState } from '../engine/run.js';
import type { ApprovalTemplateStep } from '../sdk/steps.js';
import type { StepOutput } from '../sdk/step-output.js';

export interface ListRunsOptions {
  readonly state?: RunState;
  /** @default 50 */
  readonly limit?: number;
}

/**
 * Where runs live. Every write is conditional: `create` on the run not existing, `update`
 * on the stored version being `run.version - 1`. A lost race throws RunConflictError.
 */
export interface RunStore {
  /** The run, read consistently, or undefined. */
  get(runId: string): Promise<RunRecord | undefined>;
  create(run: RunRecord): Promise<void>;
  update(run: RunRecord): Promise<void>;
  /** A step's saved output, with one consistent read (what `getStepOutput` uses). */
  readStepOutput(runId: string, step: ApprovalTemplateStep): Promise<StepOutput | undefined>;
  /**
   * Ids of the runs of `flow` the engine must act on by `before` (expired requests, due
   * deescalations), soonest first. From an eventually consistent index: read each run
   * before acting on it.
   */
  listDue(flow: string, before: Date, limit?: number): Promise<string[]>;
  /** Runs of `flow`, newest first. */
  listRuns(flow: string, options?: ListRunsOptions): Promise<RunRecord[]>;
  /**
   * Makes `runId` the holder of `slot` (one requester's access to one target) until
   * `heldUntil`, unless another run holds it and its `heldUntil` is not past `now`; then
   * returns that run's id. Holding it again (to move `heldUntil` out) is allowed.
   */
  acquireSlot(slot: string, runId: string, heldUntil: string, now: string): Promise<string | undefined>;
  /** Moves `slot` from `from` to `to`, only if `from` still holds it. False when it did not. */
  takeOverSlot(slot: string, from: string, to: string, heldUntil: string): Promise<boolean>;
}
