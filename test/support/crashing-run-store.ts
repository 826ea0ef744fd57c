import type { RunRecord } from '../../lambda/engine/run.js';
import type { ApprovalTemplateStep } from '../../lambda/sdk/steps.js';
import type { StepOutput } from '../../lambda/sdk/step-output.js';
import type { ListRunsOptions, RunStore } from '../../lambda/store/run-store.js';
import type { SeededRandom } from './seeded-random.js';

/** Stands for the dispatcher's process dying: not a store error the engine could recognise. */
export class SimulatedCrashError extends Error {
  public constructor(public readonly runId: string, public readonly step: 'escalate' | 'deescalate') {
    super(`simulated crash: the process died after invoking ${step} for run ${runId}, before saving its output`);
    this.name = 'SimulatedCrashError';
  }
}

type InvokedStep = 'escalate' | 'deescalate';

/**
 * A {@link RunStore} that delegates everything, except that it can throw instead of
 * saving the output of an escalate/deescalate invocation: the function ran, and the run
 * never learned it, exactly as when the Lambda dies between the invoke and the write.
 */
export class CrashingRunStore implements RunStore {
  public readonly crashes: { readonly runId: string; readonly step: InvokedStep }[] = [];
  private readonly armed: { runId?: string; step: InvokedStep; remaining: number }[] = [];
  private random?: { rng: SeededRandom; rate: number };

  public constructor(private readonly inner: RunStore) {}

  /** The next `times` output writes of `step` (for `runId`, or any run) crash. */
  public crashAfterInvoke(step: InvokedStep, options: { runId?: string; times?: number } = {}): void {
    this.armed.push({ step, remaining: options.times ?? 1, ...(options.runId !== undefined ? { runId: options.runId } : {}) });
  }

  /** A seeded fraction of all output writes crash (at most once per run and step). */
  public crashRandomly(rng: SeededRandom, rate: number): void {
    this.random = { rng, rate };
  }

  public stopCrashing(): void {
    this.armed.length = 0;
    this.random = undefined;
  }

  public get(runId: string): Promise<RunRecord | undefined> {
    return this.inner.get(runId);
  }

  public create(run: RunRecord): Promise<void> {
    return this.inner.create(run);
  }

  public async update(run: RunRecord): Promise<void> {
    const step = outputWriteOf(run);
    if (step && this.shouldCrash(run.runId, step)) {
      this.crashes.push({ runId: run.runId, step });
      throw new SimulatedCrashError(run.runId, step);
    }
    return this.inner.update(run);
  }

  public readStepOutput(runId: string, step: ApprovalTemplateStep): Promise<StepOutput | undefined> {
    return this.inner.readStepOutput(runId, step);
  }

  public listDue(flow: string, before: Date, limit?: number): Promise<string[]> {
    return this.inner.listDue(flow, before, limit);
  }

  public listRuns(flow: string, options?: ListRunsOptions): Promise<RunRecord[]> {
    return this.inner.listRuns(flow, options);
  }

  public acquireSlot(slot: string, runId: string, heldUntil: string, now: string): Promise<string | undefined> {
    return this.inner.acquireSlot(slot, runId, heldUntil, now);
  }

  public takeOverSlot(slot: string, from: string, to: string, heldUntil: string): Promise<boolean> {
    return this.inner.takeOverSlot(slot, from, to, heldUntil);
  }

  private shouldCrash(runId: string, step: InvokedStep): boolean {
    const index = this.armed.findIndex((a) => a.step === step && (a.runId === undefined || a.runId === runId));
    if (index >= 0) {
      const entry = this.armed[index] as { remaining: number };
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.armed.splice(index, 1);
      return true;
    }
    if (!this.random || this.crashes.some((c) => c.runId === runId && c.step === step)) return false;
    return this.random.rng.chance(this.random.rate);
  }
}

/** Whether this update is the save of an invocation's output (the write right after an invoke). */
function outputWriteOf(run: RunRecord): InvokedStep | undefined {
  const last = run.history.at(-1)?.step;
  if (last === 'escalate_result') return 'escalate';
  if (last === 'deescalate_result') return 'deescalate';
  return undefined;
}
