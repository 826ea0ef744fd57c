import { describe, it, expect } from 'vitest';
import * as sdk from '../../lambda/sdk/index.js';

describe('lambda/sdk index', () => {
  it('exports the public runtime values and nothing else', () => {
    expect(Object.keys(sdk).sort()).toStrictEqual(
      [
        'ApprovalTemplate',
        'ApprovalTemplateStep',
        'EventRequest',
        'InvalidDurationError',
        'InvalidEventRequestError',
        'InvalidSRNError',
        'InvalidSlugError',
        'InvalidVersionError',
        'LambdaEscalationError',
        'MissingComponentError',
        'NoRunContextError',
        'SRN',
        'StepOutputNotFoundError',
        'SymResource',
        'Template',
        'TemplateStep',
        'TrailingSeparatorError',
        'defineHooks',
        'getStepOutput',
      ].sort(),
    );
  });

  it('keeps the engine-internal run binding out', () => {
    expect(sdk).not.toHaveProperty('runInContext');
    expect(sdk).not.toHaveProperty('currentRunContext');
  });

  it('lets a hook auto-approve through the public surface alone', () => {
    const hooks: sdk.Hooks = sdk.defineHooks({ onRequest: () => sdk.ApprovalTemplate.approve() });
    const result = hooks.onRequest?.({} as sdk.Event);
    expect(sdk.EventRequest.isEventRequest(result)).toBe(true);
  });
});
