import { describe, it, expect } from 'vitest';
import { ApprovalTemplate, Template } from '../../lambda/sdk/templates.js';
import { SymResource } from '../../lambda/sdk/sym-resource.js';
import { SRN } from '../../lambda/sdk/srn.js';
import { EventRequest } from '../../lambda/sdk/event-request.js';
import { InvalidEventRequestError, InvalidSRNError, InvalidSlugError, TrailingSeparatorError } from '../../lambda/sdk/errors.js';
import { InvalidDurationError } from '../../lambda/engine/errors.js';

const TARGET = 'acme:access_target:aws_lambda_function:prod-db:latest';

describe('SymResource', () => {
  it('takes its name from the slug and dicts to plain JSON', () => {
    const resource = new SymResource('acme:flow:prod-access:1.0.0');
    expect(resource.srn.equals('acme:flow:prod-access:1.0.0')).toBe(true);
    expect(resource.name).toBe('prod-access');
    expect(resource.dict()).toEqual({ srn: 'acme:flow:prod-access:1.0.0', name: 'prod-access' });
  });

  it('accepts an SRN', () => {
    const srn = SRN.parse(TARGET);
    expect(new SymResource(srn).srn).toBe(srn);
  });

  it('refuses text that is not an SRN', () => {
    expect(() => new SymResource('acme:flow:x:latest:')).toThrow(TrailingSeparatorError);
  });
});

describe('ApprovalTemplate resource', () => {
  it('has the approval SRN, statically and as an instance', () => {
    expect(ApprovalTemplate.srn.toString()).toBe('sym:template:approval:1.0.0');
    const template = new ApprovalTemplate();
    expect(template).toBeInstanceOf(Template);
    expect(template).toBeInstanceOf(SymResource);
    expect(template.srn).toBe(ApprovalTemplate.srn);
    expect(template.name).toBe('approval');
    expect(template.dict()).toEqual({ srn: 'sym:template:approval:1.0.0', name: 'approval' });
  });
});

describe('ApprovalTemplate factories', () => {
  it.each([
    ['prompt', () => ApprovalTemplate.prompt()],
    ['request', () => ApprovalTemplate.request()],
    ['approve', () => ApprovalTemplate.approve()],
    ['deny', () => ApprovalTemplate.deny()],
    ['escalate', () => ApprovalTemplate.escalate()],
    ['deescalate', () => ApprovalTemplate.deescalate()],
  ] as const)('%s() defaults to empty fields and leaves target and duration to the run', (step, build) => {
    const request = build();
    expect(request).toBeInstanceOf(EventRequest);
    expect(EventRequest.isEventRequest(request)).toBe(true);
    expect(request.step).toBe(step);
    expect(request.payload).toStrictEqual({ fields: {} });
  });

  it('prompt, approve and deny pass their arguments on as fields', () => {
    expect(ApprovalTemplate.prompt({ reason: 'on call' }).payload).toStrictEqual({ fields: { reason: 'on call' } });
    expect(ApprovalTemplate.approve({ note: 'auto', level: 2 }).payload).toStrictEqual({ fields: { note: 'auto', level: 2 } });
    expect(ApprovalTemplate.deny({ why: { code: 'x', tags: ['a'] } }).payload).toStrictEqual({
      fields: { why: { code: 'x', tags: ['a'] } },
    });
  });

  it('request carries target, duration in seconds and the other fields', () => {
    const request = ApprovalTemplate.request({ targetSrn: TARGET, duration: '1h', reason: 'incident 42' });
    expect(request.step).toBe('request');
    expect(request.payload).toStrictEqual({ targetSrn: TARGET, duration: 3600, fields: { reason: 'incident 42' } });
  });

  it('escalate carries target and duration', () => {
    expect(ApprovalTemplate.escalate({ targetSrn: TARGET, duration: 900 }).payload).toStrictEqual({
      targetSrn: TARGET,
      duration: 900,
      fields: {},
    });
    expect(ApprovalTemplate.escalate({ duration: '2d' }).payload).toStrictEqual({ duration: 172_800, fields: {} });
  });

  it('deescalate carries the target and the other fields', () => {
    expect(ApprovalTemplate.deescalate({ targetSrn: TARGET, early: true }).payload).toStrictEqual({
      targetSrn: TARGET,
      fields: { early: true },
    });
  });

  it('drops fields set to undefined', () => {
    expect(ApprovalTemplate.request({ targetSrn: undefined, duration: undefined, reason: undefined, keep: null }).payload).toStrictEqual({
      fields: { keep: null },
    });
  });

  it.each([
    ['request', () => ApprovalTemplate.request({ targetSrn: 'acme:flow:x:latest:' })],
    ['escalate', () => ApprovalTemplate.escalate({ targetSrn: 'not an srn' })],
    ['deescalate', () => ApprovalTemplate.deescalate({ targetSrn: 'acme:access_target:prod-db:latest' })],
  ] as const)('%s refuses a targetSrn that is not an SRN', (_step, build) => {
    expect(build).toThrow(InvalidSRNError);
  });

  it('names the bad part of a targetSrn', () => {
    expect(() => ApprovalTemplate.request({ targetSrn: 'acme:access_target:lambda:prod db:latest' })).toThrow(
      new InvalidSlugError('acme:access_target:lambda:prod db:latest', 'slug', 'prod db'),
    );
  });

  it.each([0, -5, 1.5, '15w', '', '1.5h', 366 * 86_400])('request and escalate refuse duration %j', (duration) => {
    expect(() => ApprovalTemplate.request({ duration })).toThrow(InvalidDurationError);
    expect(() => ApprovalTemplate.escalate({ duration })).toThrow(InvalidDurationError);
  });
});

describe('ignore', () => {
  it('carries the message and the other fields', () => {
    const request = ApprovalTemplate.ignore({ message: 'requests are closed on Fridays', day: 'friday' });
    expect(request.step).toBe('ignore');
    expect(request.payload).toStrictEqual({ message: 'requests are closed on Fridays', fields: { day: 'friday' } });
  });

  it('is the same factory on Template', () => {
    expect(Template.ignore({ message: 'no' }).payload).toStrictEqual({ message: 'no', fields: {} });
  });

  it.each([
    ['empty', { message: '' }, '""'],
    ['blank', { message: '   ' }, '"   "'],
  ] as const)('refuses a %s message', (_what, options, shown) => {
    const call = () => ApprovalTemplate.ignore(options);
    expect(call).toThrow(InvalidEventRequestError);
    expect(call).toThrow(
      `invalid ignore request: message must be a non-empty string telling the actor why the event is dropped, got ${shown}`,
    );
  });

  it('refuses a missing message at run time', () => {
    let error: unknown;
    try {
      (ApprovalTemplate.ignore as (options?: unknown) => EventRequest)();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEventRequestError);
    expect(error).toMatchObject({ name: 'InvalidEventRequestError', step: 'ignore', field: 'message' });
    expect((error as Error).message).toBe(
      'invalid ignore request: message must be a non-empty string telling the actor why the event is dropped, got undefined',
    );
  });
});
