import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, busEvent, CAROL, newTestFlow, startLocalAws, TARGET_SRN, type LocalAws, type TestFlow } from '../support/local-aws.js';
import { SeededRandom, seedFromEnv } from '../support/seeded-random.js';

let aws: LocalAws;
let t: TestFlow;
const REQUESTED = 'gen-requested';
const ESCALATED = 'gen-escalated';
const DENIED = 'gen-denied';
const SCHEDULER = { source: 'lambda-escalation.scheduler' };

beforeAll(async () => {
  aws = await startLocalAws();
  t = await newTestFlow(aws);
  for (const runId of [REQUESTED, ESCALATED, DENIED]) await t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, targetSrn: TARGET_SRN }));
  await t.dispatcher.handle(busEvent('approve', { runId: ESCALATED, actor: BOB }));
  await t.dispatcher.handle(busEvent('deny', { runId: DENIED, actor: BOB }));
});
afterAll(async () => {
  await aws?.stop();
});

/** A malformed event, and what its refusal must name. */
interface Case {
  readonly name: string;
  readonly event: unknown;
  readonly mentions: RegExp;
}

const rng = new SeededRandom(seedFromEnv(6005));
const good = (step: string, detail: Record<string, unknown>, overrides: Record<string, unknown> = {}) => busEvent(step, detail, overrides);
const newRun = () => `gen-new-${rng.int(0, 1e9)}`;
const request = (detail: Record<string, unknown>) => good('request', { runId: newRun(), actor: ALICE, targetSrn: TARGET_SRN, ...detail });

function generate(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, event: unknown, mentions: RegExp) => cases.push({ name, event, mentions });

  // Not an EventBridge event at all.
  for (const value of [null, undefined, 42, 'approve please', true, [], [busEvent('approve', {})], () => 1]) add(`not an event: ${typeof value}/${JSON.stringify(value)}`, value, /malformed event: the event/);

  // Envelope fields missing or of the wrong type.
  const wrongTypes: unknown[] = [undefined, null, 5, '', {}, [], true];
  for (const field of ['id', 'source', 'detail-type'] as const) {
    for (const value of wrongTypes) {
      const event: Record<string, unknown> = good('approve', { runId: REQUESTED, actor: BOB });
      if (value === undefined) delete event[field];
      else event[field] = value;
      add(`envelope ${field} = ${JSON.stringify(value) ?? 'missing'}`, event, new RegExp(`${field}: `));
    }
  }
  add('envelope id too long', good('approve', { runId: REQUESTED, actor: BOB }, { id: 'x'.repeat(257) }), /id: /);
  add('envelope time not a string', good('approve', { runId: REQUESTED, actor: BOB }, { time: 12 }), /time: /);

  // Sources the flow does not accept.
  for (const source of ['evil.corp', 'LAMBDA-ESCALATION', 'lambda-escalation.lifecycle', 'lambda-escalation ', 'aws.events', 'aws.scheduler']) {
    for (const step of ['request', 'approve', 'deescalate']) add(`source ${source} sends ${step}`, good(step, { runId: REQUESTED, actor: BOB }, { source }), /source "[^"]*" is not allowed/);
  }

  // detail-types that are not steps, or not from this source.
  for (const type of ['grant', 'APPROVE', 'approve ', 'Approve', 'escalate_result', 'Scheduled Event', 'ignore', 'sweep']) {
    add(`detail-type ${JSON.stringify(type)}`, good(type, { runId: REQUESTED, actor: BOB }), /detail-type "[^"]*" is not a step/);
  }
  for (const type of ['request_expire', 'request_forward']) add(`engine step ${type} from a person`, good(type, { runId: REQUESTED, actor: BOB }), /is not accepted from source lambda-escalation/);
  for (const type of ['approve', 'deny', 'request', 'prompt', 'escalate']) add(`${type} from the scheduler source`, good(type, { runId: REQUESTED }, SCHEDULER), /is not accepted from source lambda-escalation\.scheduler/);

  // detail of the wrong shape.
  for (const detail of [null, 'x', 7, [], true]) add(`detail = ${JSON.stringify(detail)}`, { ...good('approve', {}), detail }, /detail: /);

  // actor missing or wrong.
  const actors: [unknown, RegExp][] = [
    [undefined, /detail\.actor: Required/],
    [null, /detail\.actor: Expected object/],
    ['bob', /detail\.actor: Expected object/],
    [42, /detail\.actor: Expected object/],
    [[], /detail\.actor: Expected object/],
    [{}, /detail\.actor\.username: Required/],
    [{ username: 5 }, /detail\.actor\.username: Expected string/],
    [{ username: '' }, /detail\.actor\.username: must be a non-empty string/],
    [{ username: '   ' }, /detail\.actor\.username: must be a non-empty string/],
    [{ username: 'x'.repeat(300) }, /detail\.actor\.username: String must contain at most 256/],
    [{ username: 'bob', name: 5 }, /detail\.actor\.name: Expected string/],
    [{ username: 'bob', name: 'n'.repeat(10_000) }, /detail\.actor\.name: String must contain at most 256/],
  ];
  for (const step of ['request', 'approve', 'deny', 'deescalate']) {
    for (const [actor, mentions] of actors) {
      const detail: Record<string, unknown> = { runId: step === 'request' ? newRun() : REQUESTED, targetSrn: TARGET_SRN };
      if (actor !== undefined) detail.actor = actor;
      add(`${step} with actor ${JSON.stringify(actor)?.slice(0, 40) ?? 'missing'}`, good(step, detail), mentions);
    }
  }

  // runId wrong.
  for (const runId of [5, null, '', 'a/b', 'has space', 'x'.repeat(129), 'ünïcode', 'semi;colon', {}, []]) {
    for (const step of ['request', 'approve']) add(`${step} runId ${JSON.stringify(runId).slice(0, 30)}`, good(step, { runId, actor: BOB, targetSrn: TARGET_SRN }), /detail\.runId: /);
  }
  for (const step of ['approve', 'deny', 'deescalate', 'escalate']) add(`${step} without runId`, good(step, { actor: BOB }), /detail\.runId is missing/);
  add('request without runId and an event id unfit as one', good('request', { actor: ALICE, targetSrn: TARGET_SRN }, { id: 'has:colons' }), /event id "has:colons" cannot serve as one/);

  // Bad SRNs.
  const badSrns: [string, RegExp][] = [
    ['acme:access_target:prod-db:latest', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target:aws_lambda_function:prod-db:latest:', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target', /detail\.targetSrn: invalid SRN/],
    ['acme', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target:aws_lambda_function:prod db:latest', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target:aws_lambda_function:prod-db:1.0', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target:aws_lambda_function:prod-db:1.0.0.0', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target:aws_lambda_function:prod-db:1000.0.0', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target:aws_lambda_function:prod-db:v1', /detail\.targetSrn: invalid SRN/],
    ['ac me:access_target:aws_lambda_function:prod-db:latest', /detail\.targetSrn: invalid SRN/],
    ['acme:flow:extra:prod-db:latest:id:more', /detail\.targetSrn: invalid SRN/],
    [':access_target:aws_lambda_function:prod-db:latest', /detail\.targetSrn: invalid SRN/],
    ['acme::aws_lambda_function:prod-db:latest', /detail\.targetSrn: invalid SRN/],
    ['acme:access_target:aws_lambda_function:pröd:latest', /detail\.targetSrn: invalid SRN/],
    ['x'.repeat(2000), /detail\.targetSrn: String must contain at most 1024/],
    ['', /detail\.targetSrn: String must contain at least 1/],
  ];
  for (const [srn, mentions] of badSrns) add(`targetSrn ${JSON.stringify(srn.slice(0, 50))}`, request({ targetSrn: srn }), mentions);
  for (const srn of [5, {}, [], true, null]) add(`targetSrn of type ${JSON.stringify(srn)}`, request({ targetSrn: srn }), /detail\.targetSrn: Expected string/);
  for (const srn of ['acme:access_target:aws_lambda_function:other:latest', 'other:access_target:aws_lambda_function:prod-db:latest', 'acme:access_target:aws_lambda_function:prod-db:1.0.0']) {
    add(`unknown target ${srn}`, request({ targetSrn: srn }), /unknown target "[^"]+": flow test-flow accepts/);
  }
  add('request without target', request({ targetSrn: undefined }), /names no target: send detail\.targetSrn/);

  // Bad durations.
  const durations: unknown[] = ['1 week', '-5', -5, 0, '0', 1.5, '1.5h', 'abc', '', '10w', '5 m', '1h30m', 'h', '-1h', Number.NaN, Number.POSITIVE_INFINITY, '366d', 366 * 86_400, ' 60', '0x10'];
  // NaN and Infinity are not JSON; zod's number refuses them before parseDuration sees them.
  for (const duration of durations) add(`duration ${String(duration)}`, request({ duration }), /invalid duration .*: |detail\.duration: /);
  for (const duration of [true, {}, [], null]) add(`duration of type ${JSON.stringify(duration)}`, request({ duration }), /detail\.duration: /);
  for (const duration of ['13h', '2d', 43_201, '721m']) add(`duration ${duration} over the flow's maximum`, request({ duration }), /is over flow test-flow's maximum of 43200s/);

  // Huge or malformed fields.
  for (const fields of [[1], 'reason', 5, null, true]) add(`fields = ${JSON.stringify(fields)}`, request({ fields }), /detail\.fields: /);
  add('huge fields (one string)', request({ fields: { reason: 'x'.repeat(20_000) } }), /detail\.fields is \d+ bytes: at most 16384/);
  add('huge fields (many keys)', request({ fields: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'vvvvvv'])) }), /detail\.fields is \d+ bytes/);
  add('huge fields (nested)', request({ fields: { a: { b: { c: Array.from({ length: 3000 }, (_, i) => i * 1000) } } } }), /detail\.fields is \d+ bytes/);
  add('huge fields on an approve', good('approve', { runId: REQUESTED, actor: BOB, fields: { note: 'y'.repeat(50_000) } }), /detail\.fields is \d+ bytes/);
  add('fields with a non-JSON value', request({ fields: { when: new Date(0) } }), /detail\.fields/);
  add('deescalateType from a person', good('deescalate', { runId: ESCALATED, actor: ALICE, deescalateType: 'scheduled' }), /detail\.deescalateType is set by the engine's scheduler only/);
  add('deescalateType not a known value', good('deescalate', { runId: ESCALATED, deescalateType: 'whenever' }, SCHEDULER), /detail\.deescalateType: /);

  // Unknown runs.
  for (const step of ['approve', 'deny', 'deescalate', 'escalate']) {
    for (let i = 0; i < 3; i++) {
      const runId = `gen-unknown-${step}-${i}`;
      add(`${step} for unknown run ${runId}`, good(step, { runId, actor: BOB }), new RegExp(`unknown run "${runId}": ${step} needs an existing run`));
    }
  }
  add('scheduled deescalate for an unknown run', good('deescalate', { runId: 'gen-unknown-sched' }, SCHEDULER), /unknown run "gen-unknown-sched"/);
  add('scheduled request_expire for an unknown run', good('request_expire', { runId: 'gen-unknown-exp' }, SCHEDULER), /unknown run "gen-unknown-exp"/);

  // Forbidden transitions.
  const forbidden: [string, unknown, RegExp][] = [
    ['request on an existing requested run', good('request', { runId: REQUESTED, actor: ALICE, targetSrn: TARGET_SRN }), /run gen-requested already exists \(requested\)/],
    ['request on a denied run', good('request', { runId: DENIED, actor: ALICE, targetSrn: TARGET_SRN }), /run gen-denied already exists \(denied\)/],
    ['prompt on an existing run', good('prompt', { runId: REQUESTED, actor: ALICE }), /run gen-requested already exists/],
    ['self-approval', good('approve', { runId: REQUESTED, actor: ALICE }), /alice@example\.com requested run gen-requested and may not approve it: self-approval/],
    ['self-approval, other case', good('approve', { runId: REQUESTED, actor: { username: 'ALICE@example.com' } }), /requested run gen-requested and may not approve it/],
    ['self-denial', good('deny', { runId: REQUESTED, actor: ALICE }), /may not deny it: self-approval/],
    ['escalate by the requester', good('escalate', { runId: REQUESTED, actor: ALICE }), /may not escalate it/],
    ['deny after approve', good('deny', { runId: ESCALATED, actor: CAROL }), /deny is not allowed: run gen-escalated is escalated with no extension waiting/],
    ['approve after approve', good('approve', { runId: ESCALATED, actor: CAROL }), /approve is not allowed: run gen-escalated is escalated with no extension waiting/],
    ['escalate an escalated run', good('escalate', { runId: ESCALATED, actor: CAROL }), /escalate is not allowed: run gen-escalated is escalated/],
    ['approve after deny', good('approve', { runId: DENIED, actor: BOB }), /approve is not allowed: run gen-denied is denied; it has ended/],
    ['deescalate a denied run', good('deescalate', { runId: DENIED, actor: ALICE }), /deescalate is not allowed: run gen-denied is denied/],
    ['revoke by a stranger', good('deescalate', { runId: ESCALATED, actor: CAROL }), /carol@example\.com may not revoke run gen-escalated/],
    ['revoke of a run not escalated', good('deescalate', { runId: REQUESTED, actor: ALICE }), /deescalate is not allowed: run gen-requested is requested/],
    ['extension by someone else', good('request', { runId: ESCALATED, actor: CAROL, duration: 600 }), /carol@example\.com may not extend run gen-escalated: only its requester/],
    ['extension changing the target', good('request', { runId: ESCALATED, actor: ALICE, targetSrn: 'acme:access_target:aws_lambda_function:staging-db:latest' }), /an extension cannot change the target/],
    ['extension over the maximum', good('request', { runId: ESCALATED, actor: ALICE, duration: '1d' }), /is over flow test-flow's maximum/],
    ['early scheduled deescalate', good('deescalate', { runId: ESCALATED }, SCHEDULER), /scheduled deescalate for run gen-escalated is early: access lasts until/],
    ['early scheduled request_expire', good('request_expire', { runId: REQUESTED }, SCHEDULER), /request_expire for run gen-requested is early: the request expires at/],
    ['scheduled deescalate of a denied run', good('deescalate', { runId: DENIED }, SCHEDULER), /deescalate is not allowed: run gen-denied is denied/],
  ];
  for (const [name, event, mentions] of forbidden) add(name, event, mentions);
  return cases;
}

const cases = generate();

describe('a generated set of malformed and forbidden events', () => {
  it(`has at least 200 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it('refuses every one with a message naming what was wrong; the table, the Lambdas and the scheduler are untouched', async () => {
    const before = await t.scan();
    const invocations = aws.lambdaServer.invocations.length;
    const scheduled = t.scheduler.scheduled.length;
    const published = t.publisher.events.length;
    const failures: string[] = [];
    for (const c of cases) {
      let result: unknown;
      try {
        result = await t.dispatcher.handle(c.event);
      } catch (error) {
        failures.push(`${c.name}: threw ${(error as Error).name}: ${(error as Error).message}`);
        continue;
      }
      const r = result as { status?: string; message?: string };
      if (r.status !== 'refused') failures.push(`${c.name}: status ${String(r.status)} (${JSON.stringify(result).slice(0, 200)})`);
      else if (!c.mentions.test(r.message ?? '')) failures.push(`${c.name}: message ${JSON.stringify(r.message?.slice(0, 300))} does not match ${c.mentions}`);
      else if ((r.message ?? '').length > 4_000) failures.push(`${c.name}: message of ${r.message?.length} characters echoes the payload`);
    }
    expect(failures).toEqual([]);
    expect(await t.scan()).toEqual(before);
    expect(aws.lambdaServer.invocations.length).toBe(invocations);
    expect(t.scheduler.scheduled.length).toBe(scheduled);
    expect(t.publisher.events.length).toBe(published);
  });
});

// ENGINE BUG (reported, lambda/engine/transitions.ts forward()): unlike request_expire
// ("is early") and a scheduled deescalate ("is early"), request_forward from the engine's
// scheduler source is applied with no check that the flow has backup approvers or that
// the forward time has come. The scheduler source is an ordinary bus source, so any
// sender allowed on the bus moves a fresh request to `forwarded`. `it.fails` keeps the
// suite green until it is fixed; then make it a plain `it`.
describe('request_forward from the scheduler source is checked', () => {
  it('refuses a request_forward when the flow has no backup approvers, or before the forward time', async () => {
    const runId = 'gen-forward-early';
    await t.dispatcher.handle(busEvent('request', { runId, actor: ALICE, targetSrn: TARGET_SRN }));
    const result = await t.dispatcher.handle(busEvent('request_forward', { runId }, SCHEDULER));
    expect(result).toMatchObject({ status: 'refused' });
    expect((await t.store.get(runId))?.state).toBe('requested');
  });
});
