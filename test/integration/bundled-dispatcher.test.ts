import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/dispatcher-entry.js';
import { LambdaEscalationSampleStack } from '../../lib/sample-stack.js';
import { handler as exampleDeescalate } from '../../lambda/examples/deescalate.js';
import { handler as exampleEscalate } from '../../lambda/examples/escalate.js';
import type { LambdaHandler } from '../../lambda/local/lambda-invoke-server.js';
import { testApp } from '../lib/helpers.js';
import { startSchedulerEventsStub, type SchedulerEventsStub } from '../support/scheduler-events-stub.js';
import { ALICE, BOB, busEvent, startLocalAws, type LocalAws } from '../support/local-aws.js';

const TARGET = 'lambda-escalation:access_target:aws_lambda_function:staging-db-readonly:latest';

/** The dispatcher bundle exactly as `cdk synth` stages it for the sample stack. */
function synthesizeDispatcherBundle(outdir: string): string {
  const app = testApp({ context: {} });
  const stack = new LambdaEscalationSampleStack(app, 'BundleTest', { env: { account: '123456789012', region: 'us-east-1' } });
  const template = Template.fromStack(stack);
  const assembly = app.synth({ force: true });
  const functions = template.findResources('AWS::Lambda::Function') as Record<string, { Properties: { Description?: string; Code: { S3Key: string } } }>;
  const dispatcher = Object.values(functions).find((f) => f.Properties.Description?.startsWith('lambda-escalation dispatcher'));
  if (!dispatcher) throw new Error('no dispatcher function in the sample stack');
  const asset = path.join(assembly.directory, `asset.${dispatcher.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
  // Lambda runs the bundle on its own, with @aws-sdk from the runtime: copy it out of the
  // assembly next to the repo's node_modules, which stand in for the runtime's SDK.
  const copy = path.join(outdir, 'index.mjs');
  fs.copyFileSync(asset, copy);
  return copy;
}

class BundledLambda {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly results: string[] = [];
  private readonly waiting: ((line: string) => void)[] = [];
  public readonly logs: string[] = [];

  public constructor(bundle: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'test', 'support', 'run-bundle.mjs'), bundle], {
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd: path.dirname(bundle),
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (!line.startsWith('RESULT ')) return void this.logs.push(line);
      const next = this.waiting.shift();
      if (next) next(line.slice(7));
      else this.results.push(line.slice(7));
    });
    this.child.stderr.on('data', (d: Buffer) => this.logs.push(d.toString()));
  }

  public async invoke(event: unknown): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(event)}\n`);
    const line = this.results.shift() ?? (await new Promise<string>((resolve) => this.waiting.push(resolve)));
    const parsed = JSON.parse(line) as { ok?: Record<string, unknown>; error?: string };
    if (parsed.error) throw new Error(`${parsed.error}\n${this.logs.join('\n')}`);
    return parsed.ok as Record<string, unknown>;
  }

  public stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

let aws: LocalAws;
let stub: SchedulerEventsStub;
let lambda: BundledLambda;
let tmp: string;

beforeAll(async () => {
  aws = await startLocalAws({
    escalate: exampleEscalate as LambdaHandler,
    deescalate: exampleDeescalate as LambdaHandler,
  });
  stub = await startSchedulerEventsStub();
  const tableName = await aws.newTable();
  fs.mkdirSync(path.join(PROJECT_ROOT, '.bundle-cache'), { recursive: true });
  tmp = fs.mkdtempSync(path.join(PROJECT_ROOT, '.bundle-cache', 'bundled-test-'));
  const bundle = synthesizeDispatcherBundle(tmp);
  lambda = new BundledLambda(bundle, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_CONFIG_FILE: path.join(os.tmpdir(), 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'no-aws-credentials'),
    // The SDK's service-specific endpoint variables: the bundle's own clients, unchanged,
    // talk to dynalite, the loopback Lambda endpoint and the Scheduler/EventBridge stub.
    AWS_ENDPOINT_URL_DYNAMODB: aws.dynalite.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: aws.lambdaServer.endpoint,
    AWS_ENDPOINT_URL_SCHEDULER: stub.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: stub.endpoint,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    TABLE_NAME: tableName,
    FLOW_CONFIG: JSON.stringify({
      name: 'sample',
      escalateFunction: 'arn:aws:lambda:us-east-1:123456789012:function:escalate',
      deescalateFunction: 'arn:aws:lambda:us-east-1:123456789012:function:deescalate',
      targets: [{ srn: TARGET, label: 'Staging database, read only', settings: { databaseRole: 'readonly' } }],
    }),
    EVENT_BUS_NAME: 'escalations',
    EVENT_BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/escalations',
    SCHEDULE_GROUP_NAME: 'escalations-sample',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
    SCHEDULER_DLQ_ARN: 'arn:aws:sqs:us-east-1:123456789012:scheduler-dlq',
  });
}, 120_000);

afterAll(async () => {
  lambda?.stop();
  await stub?.stop();
  await aws?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the bundled dispatcher (the cdk synth asset, with the example hooks)', () => {
  it('runs a whole flow against dynalite and the loopback Lambda endpoint', async () => {
    const runId = 'bundled-1';
    expect(await lambda.invoke(busEvent('request', { runId, actor: ALICE, targetSrn: TARGET, duration: 60, fields: { reason: 'INC-1' } }))).toEqual({
      status: 'applied',
      runId,
      state: 'requested',
      steps: ['request'],
    });
    expect(await lambda.invoke(busEvent('approve', { runId, actor: BOB }))).toMatchObject({ status: 'applied', state: 'escalated' });

    const created = stub.schedules.get(`escalations-sample/${runId}-deescalate`);
    expect(created).toMatchObject({ name: `${runId}-deescalate`, groupName: 'escalations-sample', body: { ActionAfterCompletion: 'DELETE' } });
    const target = created!.body.Target as { Input: string; EventBridgeParameters: { DetailType: string; Source: string } };

    // What EventBridge Scheduler puts on the bus when the schedule fires.
    const fired = busEvent(target.EventBridgeParameters.DetailType, JSON.parse(target.Input) as Record<string, unknown>, {
      source: target.EventBridgeParameters.Source,
    });
    // Delivered now, a minute before it is due, it is recognised as the engine's own and refused as early.
    expect(await lambda.invoke(fired)).toMatchObject({ status: 'refused', code: 'transition_not_allowed', message: expect.stringMatching(/is early/) });

    const escalateCall = aws.lambdaServer.invocations.find((i) => i.functionName === 'escalate');
    const deescalateCalls = () => aws.lambdaServer.invocations.filter((i) => i.functionName === 'deescalate');
    expect(escalateCall?.payload).toMatchObject({ fields: { target: { srn: TARGET }, reason: 'INC-1', duration: 60 } });
    expect(deescalateCalls()).toHaveLength(0);

    // A revoke by the requester deescalates now, with the escalate output in the payload.
    expect(await lambda.invoke(busEvent('deescalate', { runId, actor: ALICE }))).toMatchObject({ status: 'applied', state: 'deescalated' });
    const payload = deescalateCalls()[0]!.payload as { outputs: { escalate: { body: { grantId: string } } }; fields: { deescalate_type: string } };
    expect(payload.fields.deescalate_type).toBe('revoke');
    expect(payload.outputs.escalate.body.grantId).toMatch(/^grant-/);
    // The revoke deleted the pending schedule.
    expect(stub.schedules.has(`escalations-sample/${runId}-deescalate`)).toBe(false);

    // The example hooks printed what getStepOutput() read back from DynamoDB.
    expect(lambda.logs.join('\n')).toContain(payload.outputs.escalate.body.grantId);
    const lifecycle = stub.putEvents.map((e) => e.DetailType);
    expect(lifecycle).toEqual(['escalation.requested', 'escalation.approved', 'escalation.escalated', 'escalation.deescalated']);
  });

  it('refuses a malformed event without throwing', async () => {
    expect(await lambda.invoke({ id: 'x', source: 'lambda-escalation', 'detail-type': 'approve', detail: {} })).toMatchObject({
      status: 'refused',
      code: 'malformed_event',
    });
  });
});
