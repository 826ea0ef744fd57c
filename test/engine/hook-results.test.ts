import { describe, expect, it } from 'vitest';
import { RefusalError } from '../../lambda/engine/errors.js';
import { capitalise, interpretHookResult } from '../../lambda/engine/hook-results.js';
import type { StepInput } from '../../lambda/engine/step-input.js';
import { ApprovalTemplate } from '../../lambda/sdk/index.js';

const approve: StepInput = { eventId: 'e1', step: 'approve', runId: 'r', actor: { username: 'bob', name: '' }, origin: 'event', fields: { a: 1 } };

describe('interpretHookResult', () => {
  it('nothing returned: proceed with the event as it is', () => {
    expect(interpretHookResult(approve, undefined, 'requested')).toEqual({ kind: 'proceed', input: approve });
  });

  it('ignore: drop the event with the message', () => {
    expect(interpretHookResult(approve, ApprovalTemplate.ignore({ message: 'later' }), 'requested')).toEqual({ kind: 'ignore', message: 'later' });
  });

  it('its own step: processed once, with the values the hook gave', () => {
    const decision = interpretHookResult(approve, ApprovalTemplate.approve({ note: 'ok' }), 'requested');
    expect(decision).toEqual({ kind: 'proceed', input: { ...approve, fields: { a: 1, note: 'ok' } } });
  });

  it('a forward step replaces the event, issued by the hook under its own event id', () => {
    const decision = interpretHookResult(approve, ApprovalTemplate.deny(), 'requested');
    expect(decision).toEqual({ kind: 'replace', input: { ...approve, step: 'deny', origin: 'hook', eventId: 'e1:deny', fields: {} } });
    const request: StepInput = { ...approve, step: 'request' };
    expect(interpretHookResult(request, ApprovalTemplate.approve(), 'requested')).toMatchObject({ kind: 'replace', input: { step: 'approve' } });
    expect(interpretHookResult(request, ApprovalTemplate.request({ duration: '30m' }), 'requested')).toMatchObject({
      kind: 'proceed',
      input: { step: 'request', durationSeconds: 1800 },
    });
  });

  it('a step the run cannot take next is refused as not forward', () => {
    expect(() => interpretHookResult(approve, ApprovalTemplate.request(), 'requested')).toThrow(
      new RefusalError(
        'the onApprove hook returned request, which is not a forward step from requested: allowed are request_forward, request_expire, approve, deny, escalate, or ignore',
        'backward_hook_result',
      ),
    );
  });

  it('anything but an EventRequest is refused, naming what came back', () => {
    expect(() => interpretHookResult(approve, { step: 'approve' }, 'requested')).toThrow(/returned a plain object: return nothing, or an EventRequest/);
    expect(() => interpretHookResult(approve, 'approve', 'requested')).toThrow(/returned a string/);
  });

  it('capitalises steps into hook names', () => {
    expect(capitalise('request_forward')).toBe('RequestForward');
    expect(capitalise('deescalate')).toBe('Deescalate');
  });
});
