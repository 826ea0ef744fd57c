import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AccessTarget, User } from '../../lambda/sdk/event.js';
import type { JsonValue } from '../../lambda/sdk/json.js';
import { buildLambdaPayload, formatSymTimestamp, type LambdaPayloadInput } from '../../lambda/strategy/lambda-payload-builder.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = path.resolve(repoRoot, 'test', 'events', 'sym');
const fixture = (name: string): JsonValue => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as JsonValue;

/**
 * Paths where we knowingly differ from Sym (documented on buildLambdaPayload): no parent
 * run, and our identities are not Slack's, so they have no Slack `user_id`.
 */
const ALLOWED_DIFFERENCES: ReadonlyArray<RegExp> = [/^run\.parent$/, /\.identity\.user_id$/];

const requester: User = { username: 'sym-user@healthy-health.co', name: '', srn: 'healthy-health:user:sym-user:latest' };
const approver: User = { username: 'sym-implementer@healthy-health.co', name: '', srn: 'healthy-health:user:sym-implementer:latest' };
const target: AccessTarget = {
  srn: 'healthy-health:access_target:aws_lambda_function:postgres:latest:92e28a63-aedb-4b90-93ad-e4ecba49c9b1',
  name: 'postgres',
  type: 'aws_lambda_function',
  label: 'Postgres',
  settings: { arn: 'arn:aws:lambda:us-east-1:0123456789012:function:sym-postgres-prod' },
  id: '92e28a63-aedb-4b90-93ad-e4ecba49c9b1',
};

const escalateInput: LambdaPayloadInput = {
  id: '38ddcda0-2589-4922-88ce-f5fe4224c51c',
  step: 'escalate',
  timestamp: new Date('2022-05-10T14:47:29.442Z'),
  flowSrn: 'healthy-health:flow:postgres:2.0.0',
  runSrn: 'healthy-health:run:postgres:2.0.0:2b1befa5-caf5-4ac3-8509-64732c15cb7d',
  actors: { prompt: requester, request: requester, approve: approver },
  actor: approver,
  target,
  duration: 30,
  fields: { reason: 'Fix Ticket 123' },
};

const deescalateInput: LambdaPayloadInput = {
  ...escalateInput,
  id: '2a453aff-c17c-470c-986b-e81249e2de0c',
  step: 'deescalate',
  timestamp: new Date('2022-05-10T14:48:02.188Z'),
  actors: { ...escalateInput.actors, deescalate: approver },
  deescalateType: 'scheduled',
  escalateOutput: { body: { grantId: 'g-1' }, errors: [] },
};

type JsonType = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean';

function jsonType(value: JsonValue): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'object' | 'string' | 'number' | 'boolean';
}

/** Every path in `value` with its JSON type; array elements share the path `key[]`. */
function shapeOf(value: JsonValue, prefix = ''): Map<string, JsonType> {
  const shape = new Map<string, JsonType>();
  if (prefix) shape.set(prefix, jsonType(value));
  if (Array.isArray(value)) {
    for (const item of value) for (const [p, t] of shapeOf(item, `${prefix}[]`)) shape.set(p, t);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      for (const [p, t] of shapeOf(child, prefix ? `${prefix}.${key}` : key)) shape.set(p, t);
    }
  }
  return shape;
}

/** Paths of the fixture that ours lacks or types differently, less the allowed differences. */
function missingFromOurs(sym: JsonValue, ours: JsonValue): string[] {
  const theirs = shapeOf(sym);
  const mine = shapeOf(ours);
  const problems: string[] = [];
  for (const [p, type] of theirs) {
    if (ALLOWED_DIFFERENCES.some((allowed) => allowed.test(p))) continue;
    const got = mine.get(p);
    if (got !== type) problems.push(`${p}: Sym has ${type}, ours has ${got ?? 'nothing'}`);
  }
  return problems;
}

const asJson = (value: unknown): JsonValue => JSON.parse(JSON.stringify(value)) as JsonValue;

describe('buildLambdaPayload', () => {
  it('carries every field of Sym\'s schema 6 escalate payload, with the same JSON types', () => {
    const ours = asJson(buildLambdaPayload(escalateInput));
    expect(missingFromOurs(fixture('escalate-schema6.json'), ours)).toEqual([]);
  });

  it('carries every field of Sym\'s schema 6 deescalate payload, with the same JSON types', () => {
    const ours = asJson(buildLambdaPayload(deescalateInput));
    expect(missingFromOurs(fixture('deescalate-schema6.json'), ours)).toEqual([]);
  });

  it('differs from Sym only where documented', () => {
    const ours = asJson(buildLambdaPayload(escalateInput));
    const sym = fixture('escalate-schema6.json');
    const differences = [...shapeOf(sym).entries()]
      .filter(([p, type]) => shapeOf(ours).get(p) !== type)
      .map(([p]) => p);
    expect(differences).toEqual([
      'run.parent',
      'run.actors.prompt.identity.user_id',
      'run.actors.request.identity.user_id',
      'run.actors.approve.identity.user_id',
      'actor.identity.user_id',
    ]);
  });

  it('matches the fixture values it can', () => {
    const payload = buildLambdaPayload(escalateInput);
    expect(payload).toEqual({
      id: '38ddcda0-2589-4922-88ce-f5fe4224c51c',
      type: 'event',
      meta: { schema_version: 6 },
      state: { status: 'processing', errors: [] },
      event: {
        srn: 'sym:event-spec:approval:1.0.0:escalate',
        type: 'escalate',
        template: 'sym:template:approval:1.0.0',
        timestamp: '2022-05-10T14:47:29.442000',
        channel: 'internal',
      },
      run: {
        srn: escalateInput.runSrn,
        parent: null,
        flow: escalateInput.flowSrn,
        actors: {
          prompt: actorOf(requester),
          request: actorOf(requester),
          approve: actorOf(approver),
        },
      },
      actor: actorOf(approver),
      fields: {
        reason: 'Fix Ticket 123',
        duration: 30,
        target: {
          name: 'postgres',
          srn: target.srn,
          type: 'aws_lambda_function',
          label: 'Postgres',
          settings: { arn: 'arn:aws:lambda:us-east-1:0123456789012:function:sym-postgres-prod' },
        },
        target_id: '92e28a63-aedb-4b90-93ad-e4ecba49c9b1',
      },
    });
  });

  it('adds deescalate_type and outputs.escalate on deescalate', () => {
    const payload = buildLambdaPayload(deescalateInput);
    expect(payload.event).toMatchObject({ srn: 'sym:event-spec:approval:1.0.0:deescalate', type: 'deescalate' });
    expect(payload.fields.deescalate_type).toBe('scheduled');
    expect(payload.run.actors.deescalate).toEqual(actorOf(approver));
    expect(payload.outputs).toEqual({ escalate: { body: { grantId: 'g-1' }, errors: [] } });
  });

  it('defaults deescalate_type to scheduled and outputs to {} when escalate saved nothing', () => {
    const { deescalateType: _type, escalateOutput: _output, ...rest } = deescalateInput;
    const payload = buildLambdaPayload(rest);
    expect(payload.fields.deescalate_type).toBe('scheduled');
    expect(payload.outputs).toEqual({});
  });

  it('has neither deescalate_type nor outputs on escalate', () => {
    const payload = buildLambdaPayload({ ...escalateInput, deescalateType: 'revoke', escalateOutput: { body: 1, errors: [] } });
    expect('deescalate_type' in payload.fields).toBe(false);
    expect('outputs' in payload).toBe(false);
  });

  it('passes user fields through without letting them replace its own', () => {
    const payload = buildLambdaPayload({
      ...deescalateInput,
      deescalateType: 'revoke',
      fields: { reason: 'INC-9', ticket: { id: 9 }, target: 'hijack', target_id: 'x', duration: 99_999, deescalate_type: 'nope' },
    });
    expect(payload.fields).toMatchObject({ reason: 'INC-9', ticket: { id: 9 }, target_id: target.id, duration: 30, deescalate_type: 'revoke' });
    expect(payload.fields.target).toMatchObject({ srn: target.srn });
  });

  it('takes the channel and identity external_id when given', () => {
    const payload = buildLambdaPayload({ ...escalateInput, channel: 'slack', identityExternalId: 'acme-prod' });
    expect(payload.event.channel).toBe('slack');
    expect(payload.actor.identity).toEqual({ service: 'lambda-escalation', external_id: 'acme-prod', email: approver.username });
  });

  it('gives no email to a username that is not an email address', () => {
    const robot: User = { username: 'deploy-bot', name: 'Deploy bot', srn: 'acme:user:deploy-bot:latest' };
    expect(buildLambdaPayload({ ...escalateInput, actor: robot }).actor.identity).toEqual({ service: 'lambda-escalation', external_id: 'local' });
  });
});

describe('formatSymTimestamp', () => {
  it('writes UTC without an offset, with microseconds, as Sym does', () => {
    expect(formatSymTimestamp(new Date('2024-02-29T23:59:59.007Z'))).toBe('2024-02-29T23:59:59.007000');
  });

  it('refuses an invalid Date', () => {
    expect(() => formatSymTimestamp(new Date('nope'))).toThrow('timestamp is an invalid Date: pass the time the step happened');
  });
});

function actorOf(user: User): JsonValue {
  return {
    user: user.srn,
    name: user.name,
    username: user.username,
    identity: { service: 'lambda-escalation', external_id: 'local', email: user.username },
  };
}
