import { describe, it, expect } from 'vitest';
import { APPROVAL_STEPS, ApprovalTemplateStep, TemplateStep, isApprovalTemplateStep } from '../../lambda/sdk/steps.js';

describe('TemplateStep', () => {
  it('has IGNORE = "ignore" and nothing else', () => {
    expect(TemplateStep).toStrictEqual({ IGNORE: 'ignore' });
  });
});

describe('ApprovalTemplateStep', () => {
  it('has the eight approval steps with Sym\'s values', () => {
    expect(ApprovalTemplateStep).toStrictEqual({
      PROMPT: 'prompt',
      REQUEST: 'request',
      REQUEST_FORWARD: 'request_forward',
      REQUEST_EXPIRE: 'request_expire',
      APPROVE: 'approve',
      DENY: 'deny',
      ESCALATE: 'escalate',
      DEESCALATE: 'deescalate',
    });
  });

  it('lists every step in flow order', () => {
    expect(APPROVAL_STEPS).toStrictEqual([
      'prompt',
      'request',
      'request_forward',
      'request_expire',
      'approve',
      'deny',
      'escalate',
      'deescalate',
    ]);
  });

  it.each(APPROVAL_STEPS)('recognises %s', (step) => {
    expect(isApprovalTemplateStep(step)).toBe(true);
  });

  it.each(['ignore', 'PROMPT', 'Approve', '', 42, null, undefined])('does not take %j for an approval step', (value) => {
    expect(isApprovalTemplateStep(value)).toBe(false);
  });
});
