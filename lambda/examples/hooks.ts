// An example hooks module: what a flow's `hooks` file looks like. The engine bundles it
// into the flow's dispatcher, so it imports the SDK and nothing of the engine.
import { ApprovalTemplateStep, defineHooks, getStepOutput, type Event } from '../sdk/index.js';

export default defineHooks({
  async afterEscalate(event: Event) {
    const output = await getStepOutput(ApprovalTemplateStep.ESCALATE);
    console.log(`afterEscalate: run ${event.run.id} escalate returned ${describe(output)}`);
  },

  async afterDeescalate(event: Event) {
    const output = await getStepOutput(ApprovalTemplateStep.DEESCALATE);
    console.log(`afterDeescalate: run ${event.run.id} deescalate returned ${describe(output)}`);
  },

  /**
   * Approvers from the flow variable `approvers` (comma separated), when set. When not,
   * whoever is deciding is allowed (the engine calls this for the deciding event), which
   * keeps the default: anyone but the requester, as self-approval stays off.
   */
  getPermissions(event: Event) {
    const approvers = (event.flow.vars.approvers ?? '')
      .split(',')
      .map((approver) => approver.trim())
      .filter((approver) => approver !== '');
    return { approvers: approvers.length > 0 ? approvers : [event.user.username], allowSelfApproval: false };
  },
});

function describe(output: { readonly body: unknown; readonly errors: readonly string[] }): string {
  const errors = output.errors.length > 0 ? `errors ${JSON.stringify(output.errors)}` : 'no errors';
  return `body ${JSON.stringify(output.body)} and ${errors}`;
}
