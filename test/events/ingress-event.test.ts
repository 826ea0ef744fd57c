import { describe, expect, it } from 'vitest';
import { flowConfigSchema } from '../../lambda/config/flow-config.js';
import { RefusalError } from '../../lambda/engine/errors.js';
import { isSweepEvent, parseIngressEvent } from '../../lambda/events/ingress-event.js';

const flow = flowConfigSchema.parse({
  name: 'f',
  escalateFunction: 'e',
  deescalateFunction: 'd',
  targets: [{ srn: 'acme:access_target:aws_lambda_function:db:latest' }],
  allowedSources: ['slack-bot', 'portal'],
});

const event = (detailType: string, detail: unknown, extra: Record<string, unknown> = {}) => ({
  id: 'evt-1',
  source: 'portal',
  'detail-type': detailType,
  time: '2026-12-04T10:00:00Z',
  detail,
  ...extra,
});

describe('parseIngressEvent', () => {
  it('turns a request into engine input, parsing the duration and defaulting the run id to the event id', () => {
    expect(
      parseIngressEvent(
        event('request', { actor: { username: 'alice' }, targetSrn: 'acme:access_target:aws_lambda_function:db:latest', duration: '15m', fields: { reason: 'x' } }),
        flow,
      ),
    ).toEqual({
      eventId: 'evt-1',
      step: 'request',
      runId: 'evt-1',
      actor: { username: 'alice', name: '' },
      origin: 'event',
      targetSrn: 'acme:access_target:aws_lambda_function:db:latest',
      durationSeconds: 900,
      fields: { reason: 'x' },
      time: '2026-12-04T10:00:00Z',
    });
  });

  it('takes any of the flow\'s allowed sources, and refuses the default one when the flow replaced it', () => {
    expect(parseIngressEvent(event('approve', { runId: 'r', actor: { username: 'b' } }, { source: 'slack-bot' }), flow).origin).toBe('event');
    expect(() => parseIngressEvent(event('approve', { runId: 'r', actor: { username: 'b' } }, { source: 'lambda-escalation' }), flow)).toThrow(
      new RefusalError('source "lambda-escalation" is not allowed by flow f: allowed are slack-bot, portal', 'source_not_allowed'),
    );
  });

  it('marks the scheduler\'s events as the engine\'s own, with the engine as actor', () => {
    const input = parseIngressEvent(event('deescalate', { runId: 'r' }, { source: 'lambda-escalation.scheduler' }), flow);
    expect(input).toMatchObject({ step: 'deescalate', origin: 'engine', deescalateType: 'scheduled', actor: { username: 'lambda-escalation' } });
    expect(parseIngressEvent(event('request_expire', { runId: 'r' }, { source: 'lambda-escalation.scheduler' }), flow).step).toBe('request_expire');
  });

  it('recognises the sweep rule\'s scheduled event and nothing else as a sweep', () => {
    expect(isSweepEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toBe(true);
    expect(isSweepEvent(event('Scheduled Event', {}))).toBe(false);
    expect(isSweepEvent(null)).toBe(false);
  });
});
