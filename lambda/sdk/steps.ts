/**
 * Step names, as in Sym's `sym.sdk.templates` (`TemplateStep`, `ApprovalTemplateStep`).
 * Plain const objects rather than TS enums so that the same values validate with zod and
 * compare equal to the strings that arrive as EventBridge `detail-type`s.
 */
export const TemplateStep = {
  IGNORE: 'ignore',
} as const;
export type TemplateStep = (typeof TemplateStep)[keyof typeof TemplateStep];

export const ApprovalTemplateStep = {
  PROMPT: 'prompt',
  REQUEST: 'request',
  REQUEST_FORWARD: 'request_forward',
  REQUEST_EXPIRE: 'request_expire',
  APPROVE: 'approve',
  DENY: 'deny',
  ESCALATE: 'escalate',
  DEESCALATE: 'deescalate',
} as const;
export type ApprovalTemplateStep = (typeof ApprovalTemplateStep)[keyof typeof ApprovalTemplateStep];

/** Every value of {@link ApprovalTemplateStep}, in flow order. */
export const APPROVAL_STEPS: readonly ApprovalTemplateStep[] = Object.values(ApprovalTemplateStep);

/** Any step an {@link EventRequest} may name: a template step or `ignore`. */
export type StepName = ApprovalTemplateStep | TemplateStep;

export function isApprovalTemplateStep(value: unknown): value is ApprovalTemplateStep {
  return typeof value === 'string' && (APPROVAL_STEPS as readonly string[]).includes(value);
}
