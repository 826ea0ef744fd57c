import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as deescalate } from '../../lambda/examples/deescalate.js';
import { handler as escalate } from '../../lambda/examples/escalate.js';
import hooks from '../../lambda/examples/hooks.js';
import { startLambdaInvokeServer } from '../../lambda/local/lambda-invoke-server.js';
import type { AccessTarget, Event, User } from '../../lambda/sdk/event.js';
import { runInContext, type StepOutputSource } from '../../lambda/sdk/run-context.js';
import type { StepOutput } from '../../lambda/sdk/step-output.js';
import type { ApprovalTemplateStep } from '../../lambda/sdk/steps.js';
import { buildLambdaPayload, type LambdaPayloadInput } from '../../lambda/strategy/lambda-payload-builder.js';
import { LambdaFunctionInvoker } from '../../lambda/strategy/lambda-function-invoker.js';

const alice: User = { username: 'alice@example.com', name: 'Alice', srn: 'acme:user:alice:latest' };
const bob: User = { username: 'bob@example.com', name: 'Bob', srn: 'acme:user:bob:latest' };
const target: AccessTarget = {
  srn: 'acme:access_target:aws_lambda_function:prod-db:latest',
  name: 'prod-db',
  type: 'aws_lambda_function',
  label: 'Production DB',
  settings: { role: 'readonly' },
  id: 'prod-db',
};

const escalateInput: LambdaPayloadInput = {
  id: '11111111-1111-4111-8111-111111111111',
  step: 'escalate',
  timestamp: new Date('2024-05-01T10:00:00.000Z'),
  flowSrn: 'acme:flow:db-access:1.0.0',
  runSrn: 'acme:run:db-access:1.0.0:r-42',
  actors: { request: alice, approve: bob },
  actor: bob,
  target,
  duration: 900,
  fields: { reason: 'INC-42' },
};

const deescalateInput = (escalateOutput?: StepOutput): LambdaPayloadInput => ({
  ...escalateInput,
  id: '22222222-2222-4222-8222-222222222222',
  step: 'deescalate',
  timestamp: new Date('2024-05-01T10:15:00.000Z'),
  actor: { username: 'lambda-escalation', name: 'lambda-escalation', srn: 'acme:user:lambda-escalation:latest' },
  deescalateType: 'scheduled',
  escalateOutput,
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('example escalate and deescalate functions', () => {
  it('grant to the requester, then revoke the grant escalate returned', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const granted = await escalate(buildLambdaPayload(escalateInput));
    expect(granted.errors).toEqual([]);
    expect(granted.body).toMatchObject({
      grantId: 'grant-r-42-alice@example.com',
      username: 'alice@example.com',
      target: target.srn,
      expiresInSeconds: 900,
    });
    expect(Number.isNaN(Date.parse(granted.body?.grantedAt ?? ''))).toBe(false);

    const revoked = await deescalate(buildLambdaPayload(deescalateInput({ body: JSON.parse(JSON.stringify(granted.body)), errors: [] })));
    expect(revoked.errors).toEqual([]);
    expect(revoked.body).toMatchObject({ revoked: 'grant-r-42-alice@example.com', username: 'alice@example.com', target: target.srn, reason: 'scheduled' });
  });

  it('chain through the loopback Lambda endpoint and the real invoker', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startLambdaInvokeServer({ functions: { 'example-escalate': escalate, 'example-deescalate': deescalate } });
    const client = new LambdaClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    });
    try {
      const invoker = new LambdaFunctionInvoker({ client });
      const escalated = await invoker.invoke('example-escalate', buildLambdaPayload(escalateInput));
      expect(escalated.errors).toEqual([]);
      const deescalated = await invoker.invoke('example-deescalate', buildLambdaPayload(deescalateInput(escalated)));
      expect(deescalated).toMatchObject({ body: { revoked: 'grant-r-42-alice@example.com' }, errors: [] });
      expect(server.invocations.map((invocation) => invocation.functionName)).toEqual(['example-escalate', 'example-deescalate']);
    } finally {
      client.destroy();
      await server.stop();
    }
  });

  it('escalate refuses a duration that is not positive', async () => {
    await expect(escalate(buildLambdaPayload({ ...escalateInput, duration: 0 }))).resolves.toEqual({
      body: null,
      errors: [`refusing to grant ${target.srn} to alice@example.com: the duration is missing or not positive`],
    });
  });

  it('deescalate reports a missing escalate output', async () => {
    await expect(deescalate(buildLambdaPayload(deescalateInput()))).resolves.toEqual({
      body: null,
      errors: ['no escalate output in the event for run acme:run:db-access:1.0.0:r-42: cannot tell which grant to revoke'],
    });
  });

  it('deescalate after a failed escalate has nothing to revoke, and says so without failing', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const output = await deescalate(buildLambdaPayload(deescalateInput({ body: null, errors: ['directory down'] })));
    expect(output.errors).toEqual([]);
    expect(output.body).toMatchObject({ revoked: null, username: 'alice@example.com' });
  });
});

describe('example hooks', () => {
  const outputs = new Map<ApprovalTemplateStep, StepOutput>([
    ['escalate', { body: { grantId: 'g-1' }, errors: [] }],
    ['deescalate', { body: { revoked: 'g-1' }, errors: ['late'] }],
  ]);
  const source: StepOutputSource = { readStepOutput: async (_runId, step) => outputs.get(step) };

  it('log what getStepOutput returned, one line per hook', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const event = hookEvent('escalate', bob, {});
    await runInContext({ runId: 'r-42', step: 'escalate', outputs: source }, () => hooks.afterEscalate(event));
    await runInContext({ runId: 'r-42', step: 'deescalate', outputs: source }, () => hooks.afterDeescalate(event));
    expect(log.mock.calls).toEqual([
      ['afterEscalate: run r-42 escalate returned body {"grantId":"g-1"} and no errors'],
      ['afterDeescalate: run r-42 deescalate returned body {"revoked":"g-1"} and errors ["late"]'],
    ]);
  });

  it('allow the approvers of the flow variable, when set', () => {
    const event = hookEvent('approve', bob, { approvers: ' carol@example.com, dave@example.com ,' });
    expect(hooks.getPermissions(event)).toEqual({ approvers: ['carol@example.com', 'dave@example.com'], allowSelfApproval: false });
  });

  it('allow whoever decides, self-approval off, when the flow variable is not set', () => {
    expect(hooks.getPermissions(hookEvent('approve', bob, {}))).toEqual({ approvers: ['bob@example.com'], allowSelfApproval: false });
  });
});

function hookEvent(step: ApprovalTemplateStep, user: User, vars: Record<string, string>): Event {
  return {
    name: step,
    user,
    payload: { fields: {}, timestamp: new Date('2024-05-01T10:00:00.000Z'), srn: `sym:event-spec:approval:1.0.0:${step}` },
    run: { id: 'r-42', srn: 'acme:run:db-access:1.0.0:r-42', actors: { request: alice }, target, duration: 900 },
    flow: { name: 'db-access', srn: 'acme:flow:db-access:1.0.0', vars },
    getActor: (wanted) => (wanted === 'request' ? alice : undefined),
  };
}
