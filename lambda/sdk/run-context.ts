import { AsyncLocalStorage } from 'node:async_hooks';
import { NoRunContextError, StepOutputNotFoundError } from './errors.js';
import type { ApprovalTemplateStep } from './steps.js';
import type { StepOutput } from './step-output.js';

/** Where `getStepOutput` reads from: the dispatcher binds its run store here. */
export interface StepOutputSource {
  readStepOutput(runId: string, step: ApprovalTemplateStep): Promise<StepOutput | undefined>;
}

/** The run a hook or custom strategy is running in. */
export interface RunContext {
  readonly runId: string;
  readonly step: ApprovalTemplateStep;
  readonly outputs: StepOutputSource;
}

// A hooks file imports the SDK by its own path, so two copies of this module can be
// loaded (the engine's and the hooks'). The storage lives on a process-wide symbol so
// both copies see the same run.
const STORAGE_KEY = Symbol.for('lambda-escalation.run-context');

function storage(): AsyncLocalStorage<RunContext> {
  const holder = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<RunContext> };
  holder[STORAGE_KEY] ??= new AsyncLocalStorage<RunContext>();
  return holder[STORAGE_KEY];
}

/** Runs `fn` with `context` bound for {@link getStepOutput}. Used by the engine's runtime. */
export function runInContext<T>(context: RunContext, fn: () => T): T {
  return storage().run(context, fn);
}

/** The run bound to the current async call chain, if any. */
export function currentRunContext(): RunContext | undefined {
  return storage().getStore();
}

/**
 * The whole saved response of `step` (default: the step being processed) in the current
 * run, read from the store with one consistent read.
 *
 * @throws NoRunContextError outside a hook or custom strategy
 * @throws StepOutputNotFoundError when that step has saved no output in this run
 */
export async function getStepOutput(step?: ApprovalTemplateStep): Promise<StepOutput> {
  const context = currentRunContext();
  if (!context) throw new NoRunContextError();
  const wanted = step ?? context.step;
  const output = await context.outputs.readStepOutput(context.runId, wanted);
  if (!output) throw new StepOutputNotFoundError(context.runId, wanted);
  return output;
}
