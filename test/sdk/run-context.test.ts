import { describe, it, expect, vi } from 'vitest';
import { currentRunContext, getStepOutput, runInContext, type RunContext, type StepOutputSource } from '../../lambda/sdk/run-context.js';
import { NoRunContextError, StepOutputNotFoundError } from '../../lambda/sdk/errors.js';
import { ApprovalTemplateStep } from '../../lambda/sdk/steps.js';
import type { StepOutput } from '../../lambda/sdk/step-output.js';

/** A store holding `outputs` for run `run-1`, recording each read. */
function fakeSource(outputs: Partial<Record<ApprovalTemplateStep, StepOutput>>): StepOutputSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async readStepOutput(runId, step) {
      reads.push(`${runId}/${step}`);
      return runId === 'run-1' ? outputs[step] : undefined;
    },
  };
}

const ESCALATED: StepOutput = { body: { grantId: 'g-1' }, errors: [] };
const DEESCALATED: StepOutput = { body: null, errors: ['timeout'] };

function context(outputs: StepOutputSource, step: ApprovalTemplateStep = ApprovalTemplateStep.DEESCALATE): RunContext {
  return { runId: 'run-1', step, outputs };
}

describe('getStepOutput', () => {
  it('throws NoRunContextError outside a run', async () => {
    expect(currentRunContext()).toBeUndefined();
    await expect(getStepOutput()).rejects.toThrow(NoRunContextError);
    await expect(getStepOutput(ApprovalTemplateStep.ESCALATE)).rejects.toMatchObject({ name: 'NoRunContextError' });
  });

  it('reads the current step by default', async () => {
    const source = fakeSource({ deescalate: DEESCALATED });
    await expect(runInContext(context(source), () => getStepOutput())).resolves.toStrictEqual(DEESCALATED);
    expect(source.reads).toStrictEqual(['run-1/deescalate']);
  });

  it('reads a named step', async () => {
    const source = fakeSource({ escalate: ESCALATED });
    await expect(runInContext(context(source), () => getStepOutput(ApprovalTemplateStep.ESCALATE))).resolves.toStrictEqual(ESCALATED);
    expect(source.reads).toStrictEqual(['run-1/escalate']);
  });

  it('keeps the run across awaits', async () => {
    const source = fakeSource({ escalate: ESCALATED });
    const output = await runInContext(context(source), async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return getStepOutput(ApprovalTemplateStep.ESCALATE);
    });
    expect(output).toStrictEqual(ESCALATED);
  });

  it('throws StepOutputNotFoundError naming the run and step when nothing was saved', async () => {
    const source = fakeSource({});
    const read = runInContext(context(source), () => getStepOutput(ApprovalTemplateStep.ESCALATE));
    await expect(read).rejects.toThrow(StepOutputNotFoundError);
    await expect(read).rejects.toMatchObject({ runId: 'run-1', step: 'escalate' });
    await expect(read).rejects.toThrow(
      'run run-1 has no saved output for step "escalate": only escalate and deescalate save outputs, once they have run',
    );
  });

  it('is unbound again once the run is over', async () => {
    await runInContext(context(fakeSource({})), async () => undefined);
    expect(currentRunContext()).toBeUndefined();
  });

  it('sees the run bound by another copy of the module', async () => {
    // A hooks bundle loads its own copy of the SDK; the run must still be visible to it.
    vi.resetModules();
    const copy: typeof import('../../lambda/sdk/run-context.js') = await import('../../lambda/sdk/run-context.js');
    expect(copy.getStepOutput).not.toBe(getStepOutput);

    const source = fakeSource({ escalate: ESCALATED, deescalate: DEESCALATED });
    await expect(runInContext(context(source), () => copy.getStepOutput(ApprovalTemplateStep.ESCALATE))).resolves.toStrictEqual(ESCALATED);
    await expect(copy.runInContext(context(source), () => getStepOutput())).resolves.toStrictEqual(DEESCALATED);
    // Outside a run the copy refuses too; its error class is the copy's own, so match by name.
    await expect(copy.getStepOutput()).rejects.toMatchObject({ name: 'NoRunContextError' });
  });
});
