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
  /** Runs of `flow` the engine must act on by `before` (expired requests, due deescalations), soonest first. */
  listDue(flow: string, before: Date, limit?: number): Promise<RunRecord[]>;
  /** Runs of `flow`, newest first. */
  listRuns(flow: string, options?: ListRunsOptions): Promise<RunRecord[]>;
  /**
   * Makes `runId` the holder of `slot` (one requester's access to one target) unless
   * another run holds it; then returns that run's id. Holding it again is a no-op.
   */
  acquireSlot(slot: string, runId: string): Promise<string | undefined>;
  /** Moves `slot` from `from` to `to`, only if `from` still holds it. False when it did not. */
  takeOverSlot(slot: string, from: string, to: string): Promise<boolean>;
}
