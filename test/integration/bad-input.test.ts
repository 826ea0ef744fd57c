import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, CAROL, busEvent, newTestFlow, startLocalAws, TARGET_SRN, type LocalAws, type TestFlow } from '../support/local-aws.js';

let aws: LocalAws;
let t: TestFlow;
const REQUESTED = 'bad-requested';
const ESCALATED = 'bad-escalated';
const DENIED = 'bad-denied';

beforeAll(async () => {
  aws = await startLocalAws();
  t = await newTestFlow(aws);
  for (const runId of [REQUESTED, ESCALATED, DENIED]) {
    await t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, targetSrn: TARGET_SRN }));
  }
  await t.dispatcher.handle(busEvent('approve', { runId: ESCALATED, actor: BOB }));
  await t.dispatcher.handle(busEvent('deny', { runId: DENIED, actor: BOB }));
});
afterAll(async () => {
  await aws?.stop();
});

type Case = [name: string, event: unknown, code: string, message: string | RegExp];

const cases: Case[] = [
  ['not an object', 'approve please', 'malformed_event', /^malformed event: the event: .*; accepted: an EventBridge event/],
  ['no detail-type', { id: 'e1', source: 'lambda-escalation', detail: {} }, 'malformed_event', /detail-type: Required/],
  [
    'unknown detail-type',
    busEvent('grant', { runId: REQUESTED, actor: BOB }),
    'malformed_event',
    'detail-type "grant" is not a step: accepted are prompt, request, approve, deny, escalate, deescalate',
  ],
  [
    'engine-only step from a person',
    busEvent('request_expire', { runId: REQUESTED, actor: BOB }),
    'malformed_event',
    'detail-type "request_expire" is not accepted from source lambda-escalation: accepted are prompt, request, approve, deny, escalate, deescalate',
  ],
  [
    'foreign source',
    busEvent('approve', { runId: REQUESTED, actor: BOB }, { source: 'evil.corp' }),
    'source_not_allowed',
    'source "evil.corp" is not allowed by flow test-flow: allowed are lambda-escalation',
  ],
  ['no actor', busEvent('approve', { runId: REQUESTED }), 'malformed_event', /detail\.actor: Required/],
  ['empty username', busEvent('approve', { runId: REQUESTED, actor: { username: '  ' } }), 'malformed_event', /detail\.actor\.username: must be a non-empty string/],
  ['actor of the wrong type', busEvent('approve', { runId: REQUESTED, actor: 'bob' } as Record<string, unknown>), 'malformed_event', /detail\.actor: Expected object, received string/],
  ['no runId on approve', busEvent('approve', { actor: BOB }), 'malformed_event', 'detail.runId is missing: approve must name the run it acts on'],
  ['runId with bad characters', busEvent('approve', { runId: 'a/b', actor: BOB }), 'malformed_event', /detail\.runId: must be 1-128 characters/],
  ['unknown run', busEvent('approve', { runId: 'nope', actor: BOB }), 'unknown_run', 'unknown run "nope": approve needs an existing run; only prompt or request start one'],
  [
    'bad target SRN',
    busEvent('request', { runId: 'new-1', actor: ALICE, targetSrn: 'acme:access_target:prod-db:latest' }),
    'malformed_event',
    /^detail\.targetSrn: invalid SRN "acme:access_target:prod-db:latest"/,
  ],
  [
    'unknown target',
    busEvent('request', { runId: 'new-2', actor: ALICE, targetSrn: 'acme:access_target:aws_lambda_function:other:latest' }),
    'unknown_target',
    'unknown target "acme:access_target:aws_lambda_function:other:latest": flow test-flow accepts acme:access_target:aws_lambda_function:prod-db:latest, acme:access_target:aws_lambda_function:staging-db:latest',
  ],
  ['request without target', busEvent('request', { runId: 'new-3', actor: ALICE }), 'malformed_event', /^request for run new-3 names no target/],
  ['bad duration', busEvent('request', { runId: 'new-4', actor: ALICE, targetSrn: TARGET_SRN, duration: '1 week' }), 'invalid_duration', /^invalid duration "1 week"/],
  ['negative duration', busEvent('request', { runId: 'new-5', actor: ALICE, targetSrn: TARGET_SRN, duration: -5 }), 'invalid_duration', /^invalid duration -5/],
  [
    'duration over the maximum',
    busEvent('request', { runId: 'new-6', actor: ALICE, targetSrn: TARGET_SRN, duration: '2d' }),
    'duration_over_maximum',
    "duration 172800s is over flow test-flow's maximum of 43200s: request at most 43200s",
  ],
  ['fields not an object', busEvent('request', { runId: 'new-7', actor: ALICE, targetSrn: TARGET_SRN, fields: [1] } as Record<string, unknown>), 'malformed_event', /detail\.fields: Expected object/],
  [
    'huge fields',
    busEvent('request', { runId: 'new-8', actor: ALICE, targetSrn: TARGET_SRN, fields: { reason: 'x'.repeat(20_000) } }),
    'malformed_event',
    /^detail\.fields is \d+ bytes: at most 16384 are accepted$/,
  ],
  [
    'deescalateType from a person',
    busEvent('deescalate', { runId: ESCALATED, actor: ALICE, deescalateType: 'scheduled' }),
    'malformed_event',
    'detail.deescalateType is set by the engine\'s scheduler only, not by source lambda-escalation',
  ],
  ['request on an existing run', busEvent('request', { runId: REQUESTED, actor: ALICE, targetSrn: TARGET_SRN }), 'run_exists', /^run bad-requested already exists \(requested\)/],
  ['escalate before approve, by the requester', busEvent('escalate', { runId: REQUESTED, actor: ALICE }), 'self_approval', /^alice@example\.com requested run bad-requested and may not escalate it/],
  ['self-approval', busEvent('approve', { runId: REQUESTED, actor: ALICE }), 'self_approval', /self-approval is not allowed in flow test-flow$/],
  [
    'deny after approve',
    busEvent('deny', { runId: ESCALATED, actor: CAROL }),
    'transition_not_allowed',
    'deny is not allowed: run bad-escalated is escalated with no extension waiting; it accepts deescalate, or request (to extend it)',
  ],
  [
    'anything after the run ended',
    busEvent('deescalate', { runId: DENIED, actor: ALICE }),
    'transition_not_allowed',
    'deescalate is not allowed: run bad-denied is denied; it has ended and accepts nothing more',
  ],
  [
    'revoke by a stranger',
    busEvent('deescalate', { runId: ESCALATED, actor: CAROL }),
    'revoke_not_allowed',
    'carol@example.com may not revoke run bad-escalated: only its requester (alice@example.com) or its approver (bob@example.com) may',
  ],
  [
    'revoke of a run not escalated',
    busEvent('deescalate', { runId: REQUESTED, actor: ALICE }),
    'transition_not_allowed',
    'deescalate is not allowed: run bad-requested is requested; it accepts request_forward, request_expire, approve, deny, escalate',
  ],
  [
    'early scheduled deescalate (spoofed scheduler source)',
    busEvent('deescalate', { runId: ESCALATED }, { source: 'lambda-escalation.scheduler' }),
    'transition_not_allowed',
    /^scheduled deescalate for run bad-escalated is early: access lasts until /,
  ],
];

describe('malformed and forbidden events', () => {
  it.each(cases)('%s: refused with a clear error, and the table is unchanged', async (_name, event, code, message) => {
    const before = await t.scan();
    const calls = aws.lambdaServer.invocations.length;
    const result = (await t.dispatcher.handle(event)) as { status: string; code: string; message: string };
    expect(result.status).toBe('refused');
    expect(result.code).toBe(code);
    if (typeof message === 'string') expect(result.message).toBe(message);
    else expect(result.message).toMatch(message);
    expect(await t.scan()).toEqual(before);
    expect(aws.lambdaServer.invocations.length).toBe(calls);
  });
});
