import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Duration, Lazy, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { flowConfigSchema } from '../../lambda/config/flow-config.js';
import {
  EscalationFlow,
  EscalationTable,
  FLOW_STEPS,
  LambdaEscalationSampleStack,
  OverMaxDuration,
  parseSampleTargets,
  type EscalationFlowProps,
} from '../../lib/index.js';
import { PROJECT_ROOT, dispatcherEntrySource, writeDispatcherEntry } from '../../lib/dispatcher-entry.js';
import { flatten, testApp } from './helpers.js';

const ACCOUNT_ENV = { account: '111122223333', region: 'eu-west-1' };
const ESCALATE_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:grant-access';
const DEESCALATE_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:revoke-access';
const DB_ESCALATE_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:grant-db';
const DB_DEESCALATE_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:revoke-db';
const SRN = 'acme:access_target:aws_lambda_function:prod-db:latest';

function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild as CfnElement;
  return Stack.of(construct).getLogicalId(child);
}
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

/** The statements of the policy attached to `role`. */
function policyStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  const documents = Object.values(policies).map((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument);
  return documents.flatMap((document) => document.Statement);
}

function statementFor(statements: Statement[], action: string): Statement {
  const found = statements.filter((statement) => [statement.Action].flat().includes(action));
  expect(found, `one statement with ${action}`).toHaveLength(1);
  return found[0]!;
}

function dispatcherProperties(template: Template): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('^lambda-escalation dispatcher') },
  });
  const list = Object.values(functions);
  expect(list).toHaveLength(1);
  return (list[0] as { Properties: Record<string, unknown> }).Properties;
}

function flowConfigOf(template: Template): Record<string, unknown> {
  const env = (dispatcherProperties(template).Environment as { Variables: Record<string, Parameters<typeof flatten>[0]> }).Variables;
  return JSON.parse(flatten(env.FLOW_CONFIG!)) as Record<string, unknown>;
}

describe('EscalationFlow in the sample stack (bundled)', () => {
  let stack: LambdaEscalationSampleStack;
  let template: Template;
  let assemblyDir: string;

  beforeAll(() => {
    const app = testApp();
    stack = new LambdaEscalationSampleStack(app, 'Sample', { env: ACCOUNT_ENV });
    template = Template.fromStack(stack);
    assemblyDir = app.synth().directory;
  });

  it('makes one on-demand, point-in-time-recovered, encrypted table with both indexes, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, Region: 'eu-west-1' })],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byExpiry',
            KeySchema: [
              { AttributeName: 'activePartition', KeyType: 'HASH' },
              { AttributeName: 'expiresAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
          {
            IndexName: 'byFlow',
            KeySchema: [
              { AttributeName: 'flow', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'activePartition', AttributeType: 'S' },
          { AttributeName: 'expiresAt', AttributeType: 'S' },
          { AttributeName: 'flow', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
        ]),
      },
    });
  });

  it('routes exactly the allowed sources and the step detail-types from its bus to the dispatcher, with retries and a DLQ', () => {
    const flow = stack.flow;
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(flow.eventBus) },
      EventPattern: {
        source: ['lambda-escalation', 'lambda-escalation.scheduler'],
        'detail-type': ['prompt', 'request', 'approve', 'deny', 'escalate', 'deescalate', 'request_expire', 'request_forward'],
      },
      Targets: [
        {
          Arn: arnOf(flow.dispatcher),
          Id: 'Target0',
          DeadLetterConfig: { Arn: arnOf(flow.deadLetterQueue) },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        },
      ],
    });
    expect([...FLOW_STEPS]).toHaveLength(8);
  });

  it('lets only its rules send to the dead-letter queue, which is encrypted and TLS-only', () => {
    const flow = stack.flow;
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(flow.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': arnOf(flow.ingressRule) } },
          }),
        ]),
      },
    });
  });

  it('sends failed asynchronous invocations of the dispatcher to the dead-letter queue after two retries', () => {
    const properties = dispatcherProperties(template);
    expect(properties.DeadLetterConfig).toEqual({ TargetArn: arnOf(stack.flow.deadLetterQueue) });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.flow.dispatcher) },
      MaximumRetryAttempts: 2,
    });
  });

  it('makes one schedule group, retained', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResource('AWS::Scheduler::ScheduleGroup', {
      DeletionPolicy: 'Retain',
      Properties: { Name: stack.flow.scheduleGroup.scheduleGroupName },
    });
  });

  it('gives Scheduler a role only it may assume, for this account and group, that may only put events on the bus', () => {
    const flow = stack.flow;
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': '111122223333',
                'aws:SourceArn': arnOf(flow.scheduleGroup),
              },
            },
          },
        ],
      },
    });
    expect(policyStatements(template, logicalId(flow.schedulerRole))).toEqual([
      { Action: 'events:PutEvents', Effect: 'Allow', Resource: arnOf(flow.eventBus) },
    ]);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(flow.schedulerDeadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'sqs:SendMessage', Effect: 'Allow', Principal: { AWS: arnOf(flow.schedulerRole) }, Resource: arnOf(flow.schedulerDeadLetterQueue) },
        ]),
      },
    });
  });

  describe('dispatcher policy, statement by statement', () => {
    let statements: Statement[];
    beforeAll(() => {
      const role = stack.flow.dispatcher.role!;
      statements = policyStatements(template, logicalId(role));
    });

    it('has exactly the expected statements and no "*" resource', () => {
      expect(statements.map((statement) => [statement.Action].flat().join(','))).toEqual([
        'logs:CreateLogStream,logs:PutLogEvents',
        'sqs:SendMessage',
        'lambda:InvokeFunction',
        expect.stringMatching(/^dynamodb:/),
        'scheduler:CreateSchedule,scheduler:DeleteSchedule,scheduler:GetSchedule,scheduler:UpdateSchedule',
        'iam:PassRole',
        'events:PutEvents',
      ]);
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        expect([statement.Resource].flat()).not.toContain('*');
      }
      template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
    });

    it('writes only its own log group', () => {
      expect(statementFor(statements, 'logs:PutLogEvents').Resource).toEqual(arnOf(stack.flow.logGroup));
    });

    it('may invoke only the two example functions', () => {
      expect(statementFor(statements, 'lambda:InvokeFunction').Resource).toEqual([
        arnOf(stack.node.findChild('ExampleDeescalate')),
        arnOf(stack.node.findChild('ExampleEscalate')),
      ]);
    });

    it('reads and writes only its table and its two indexes', () => {
      const statement = statementFor(statements, 'dynamodb:PutItem');
      expect(statement.Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
      const tableArn = arnOf(stack.flow.table);
      expect(statement.Resource).toEqual([
        tableArn,
        { 'Fn::Join': ['', [tableArn, '/index/byExpiry']] },
        { 'Fn::Join': ['', [tableArn, '/index/byFlow']] },
      ]);
    });

    it("manages only its group's schedules", () => {
      const resource = flatten(statementFor(statements, 'scheduler:CreateSchedule').Resource as Parameters<typeof flatten>[0]);
      expect(resource).toBe(`arn:aws:scheduler:eu-west-1:111122223333:schedule/${stack.flow.scheduleGroup.scheduleGroupName}/*`);
    });

    it('may pass only the scheduler role, and only to Scheduler', () => {
      expect(statementFor(statements, 'iam:PassRole')).toEqual({
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: arnOf(stack.flow.schedulerRole),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      });
    });

    it('may put events only on its bus', () => {
      expect(statementFor(statements, 'events:PutEvents').Resource).toEqual(arnOf(stack.flow.eventBus));
    });
  });

  it('runs the dispatcher on Node.js 24 arm64 with JSON logs, and gives it the environment contract', () => {
    const flow = stack.flow;
    const properties = dispatcherProperties(template);
    expect(properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 120,
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', LogGroup: { Ref: logicalId(flow.logGroup) } },
    });
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual([
      'DISPATCHER_TIMEOUT_SECONDS',
      'EVENT_BUS_ARN',
      'EVENT_BUS_NAME',
      'FLOW_CONFIG',
      'NODE_OPTIONS',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_SERVICE_NAME',
      'SCHEDULER_DLQ_ARN',
      'SCHEDULER_ROLE_ARN',
      'SCHEDULE_GROUP_NAME',
      'TABLE_NAME',
    ]);
    expect(variables).toMatchObject({
      TABLE_NAME: { Ref: logicalId(flow.table) },
      EVENT_BUS_NAME: { Ref: logicalId(flow.eventBus) },
      EVENT_BUS_ARN: arnOf(flow.eventBus),
      SCHEDULE_GROUP_NAME: flow.scheduleGroup.scheduleGroupName,
      SCHEDULER_ROLE_ARN: arnOf(flow.schedulerRole),
      SCHEDULER_DLQ_ARN: arnOf(flow.schedulerDeadLetterQueue),
      POWERTOOLS_SERVICE_NAME: 'lambda-escalation',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      DISPATCHER_TIMEOUT_SECONDS: '120',
    });
  });

  it('passes FLOW_CONFIG with only what was set, and the dispatcher schema accepts it', () => {
    const config = flowConfigOf(template);
    expect(config).toEqual({
      name: 'sample',
      escalateFunction: `{{${logicalId(stack.node.findChild('ExampleEscalate'))}.Arn}}`,
      deescalateFunction: `{{${logicalId(stack.node.findChild('ExampleDeescalate'))}.Arn}}`,
      targets: [
        {
          srn: 'lambda-escalation:access_target:aws_lambda_function:sandbox-admin:latest',
          label: 'Sandbox account, administrator',
          settings: { environment: 'sandbox', permissionSet: 'AdministratorAccess' },
        },
        {
          srn: 'lambda-escalation:access_target:aws_lambda_function:staging-db-readonly:latest',
          label: 'Staging database, read only',
          settings: { environment: 'staging', databaseRole: 'readonly' },
        },
      ],
      allowedSources: ['lambda-escalation'],
    });
    expect(flowConfigSchema.safeParse(config).success).toBe(true);
  });

  it('bundles the dispatcher from a generated entry that binds the hooks module', () => {
    const asset = (dispatcherProperties(template).Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const bundle = fs.readFileSync(path.join(assemblyDir, `asset.${asset}`, 'index.mjs'), 'utf8');
    // The engine's environment contract and the example hooks both made it into the bundle.
    expect(bundle).toContain('FLOW_CONFIG');
    expect(bundle).toContain('afterEscalate');
    expect(bundle).not.toMatch(/from\s*"@aws-lambda-powertools/);
    expect(fs.existsSync(path.join(assemblyDir, `asset.${asset}`, 'index.mjs.map'))).toBe(true);
    const source = dispatcherEntrySource(path.join(PROJECT_ROOT, 'lambda', 'examples', 'hooks.ts'));
    expect(source).toContain(`import * as hooksModule from ${JSON.stringify(path.join(PROJECT_ROOT, 'lambda', 'examples', 'hooks.ts'))};`);
    expect(source).toContain(`import { createHandler } from ${JSON.stringify(path.join(PROJECT_ROOT, 'lambda', 'handler.js'))};`);
    expect(source).toContain('export const handler = createHandler(hooks);');
    expect(dispatcherEntrySource(undefined)).toContain('export const handler = createHandler({});');
    const entry = writeDispatcherEntry(undefined);
    expect(entry.startsWith(path.join(PROJECT_ROOT, '.bundle-cache'))).toBe(true);
    expect(fs.readFileSync(entry, 'utf8')).toBe(dispatcherEntrySource(undefined));
  });

  it('sweeps every 5 minutes, straight to the dispatcher', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: arnOf(stack.flow.dispatcher),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        }),
      ],
    });
  });

  it('alarms on dispatcher errors, both dead-letter queues and failed deescalations, without actions by default', () => {
    const flow = stack.flow;
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const common = {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      Period: 300,
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
    };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(flow.dispatcher) } }],
    });
    for (const queue of [flow.deadLetterQueue, flow.schedulerDeadLetterQueue]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...common,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
      });
    }
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalId(flow.logGroup) },
      FilterPattern: '{ $.message = "deescalation failed" }',
      MetricTransformations: [{ MetricNamespace: 'LambdaEscalation/sample', MetricName: 'FailedDeescalations', MetricValue: '1' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'LambdaEscalation/sample',
      MetricName: 'FailedDeescalations',
      Statistic: 'Sum',
    });
    expect(Object.keys(flow.alarms).sort()).toEqual(['deadLetterQueueDepth', 'dispatcherErrors', 'failedDeescalations', 'schedulerDeadLetterQueueDepth']);
  });

  it('keeps the dispatcher logs three months', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 90 },
    });
  });
});

describe('EscalationFlow with existing resources and custom props', () => {
  let stack: Stack;
  let flow: EscalationFlow;
  let template: Template;
  let topic: sns.Topic;
  let chatBot: iam.Role;

  beforeAll(() => {
    const app = testApp({ bundle: false });
    stack = new Stack(app, 'Custom', { env: ACCOUNT_ENV });
    const same = lambda.Function.fromFunctionArn(stack, 'Grant', ESCALATE_ARN);
    topic = new sns.Topic(stack, 'Alarms', { enforceSSL: true });
    flow = new EscalationFlow(stack, 'Flow', {
      flowName: 'prod-access',
      org: 'acme',
      escalateFunction: same,
      deescalateFunction: same,
      targets: [
        { srn: SRN, label: 'Production database', settings: { database: 'orders' } },
        {
          srn: 'acme:access_target:aws_lambda_function:prod-db-admin:1.0.0:primary',
          escalateFunction: lambda.Function.fromFunctionArn(stack, 'GrantDb', DB_ESCALATE_ARN),
          deescalateFunction: lambda.Function.fromFunctionArn(stack, 'RevokeDb', DB_DEESCALATE_ARN),
        },
        { srn: 'ACME:access_target:aws_iam_role:billing:latest', escalateFunction: same },
      ],
      table: dynamodb.Table.fromTableArn(stack, 'Shared', 'arn:aws:dynamodb:eu-west-1:111122223333:table/shared-escalations'),
      eventBus: events.EventBus.fromEventBusArn(stack, 'Bus', 'arn:aws:events:eu-west-1:111122223333:event-bus/platform'),
      allowedSources: ['acme.chatops', 'acme.portal'],
      defaultDuration: Duration.minutes(30),
      maxDuration: Duration.hours(4),
      overMaxDuration: OverMaxDuration.CLAMP,
      requestTimeout: Duration.hours(2),
      forwardApprovers: ['oncall@example.com'],
      forwardAfter: Duration.minutes(45),
      allowRevoke: false,
      compensateFailedEscalate: false,
      allowOverlap: true,
      reinvokeEscalateOnExtend: true,
      vars: { approvers: 'alice@example.com,bob@example.com' },
      sweepInterval: Duration.minutes(10),
      sweepGrace: Duration.minutes(2),
      alarmTopic: topic,
      logRetention: 365,
      logLevel: lambda.ApplicationLogLevel.DEBUG,
      memorySize: 1024,
      timeout: Duration.minutes(5),
      retryAttempts: 10,
      maxEventAge: Duration.hours(1),
      scheduleGroupName: 'prod-access-schedules',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    chatBot = new iam.Role(stack, 'ChatBot', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    flow.grantPutEvents(chatBot);
    template = Template.fromStack(stack);
  });

  it('uses the table and bus given, and makes none', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    const variables = (dispatcherProperties(template).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({
      TABLE_NAME: 'shared-escalations',
      EVENT_BUS_NAME: 'platform',
      EVENT_BUS_ARN: 'arn:aws:events:eu-west-1:111122223333:event-bus/platform',
      SCHEDULE_GROUP_NAME: 'prod-access-schedules',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'platform',
      EventPattern: {
        source: ['acme.chatops', 'acme.portal', 'lambda-escalation.scheduler'],
        'detail-type': [...FLOW_STEPS],
      },
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 } })],
    });
  });

  it('grants the existing table and its indexes by name', () => {
    const statements = policyStatements(template, logicalId(flow.dispatcher.role!));
    expect(statementFor(statements, 'dynamodb:Query').Resource).toEqual([
      'arn:aws:dynamodb:eu-west-1:111122223333:table/shared-escalations',
      'arn:aws:dynamodb:eu-west-1:111122223333:table/shared-escalations/index/byExpiry',
      'arn:aws:dynamodb:eu-west-1:111122223333:table/shared-escalations/index/byFlow',
    ]);
    expect(statementFor(statements, 'events:PutEvents').Resource).toBe('arn:aws:events:eu-west-1:111122223333:event-bus/platform');
    expect(statementFor(statements, 'scheduler:CreateSchedule').Resource).toBe(
      'arn:aws:scheduler:eu-west-1:111122223333:schedule/prod-access-schedules/*',
    );
  });

  it('may invoke the shared function once and the per-target overrides, nothing else', () => {
    const statements = policyStatements(template, logicalId(flow.dispatcher.role!));
    expect(statementFor(statements, 'lambda:InvokeFunction').Resource).toEqual([ESCALATE_ARN, DB_ESCALATE_ARN, DB_DEESCALATE_ARN]);
  });

  it('puts every prop in FLOW_CONFIG, in seconds', () => {
    expect(flowConfigOf(template)).toEqual({
      name: 'prod-access',
      org: 'acme',
      escalateFunction: ESCALATE_ARN,
      deescalateFunction: ESCALATE_ARN,
      targets: [
        { srn: SRN, label: 'Production database', settings: { database: 'orders' } },
        {
          srn: 'acme:access_target:aws_lambda_function:prod-db-admin:1.0.0:primary',
          escalateFunction: DB_ESCALATE_ARN,
          deescalateFunction: DB_DEESCALATE_ARN,
        },
        { srn: 'ACME:access_target:aws_iam_role:billing:latest', escalateFunction: ESCALATE_ARN },
      ],
      allowedSources: ['acme.chatops', 'acme.portal'],
      defaultDurationSeconds: 1800,
      maxDurationSeconds: 14400,
      overMaxDuration: 'clamp',
      requestTimeoutSeconds: 7200,
      forwardApprovers: ['oncall@example.com'],
      forwardAfterSeconds: 2700,
      allowRevoke: false,
      compensateFailedEscalate: false,
      allowOverlap: true,
      reinvokeEscalateOnExtend: true,
      sweepGraceSeconds: 120,
      vars: { approvers: 'alice@example.com,bob@example.com' },
    });
  });

  it('applies memory, timeout, log level, retention, sweep interval and removal policy', () => {
    expect(dispatcherProperties(template)).toMatchObject({
      MemorySize: 1024,
      Timeout: 300,
      LoggingConfig: { ApplicationLogLevel: 'DEBUG', LogFormat: 'JSON' },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 } })],
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', Properties: { RetentionInDays: 365 } });
    template.hasResource('AWS::Scheduler::ScheduleGroup', { DeletionPolicy: 'Delete', Properties: { Name: 'prod-access-schedules' } });
  });

  it('sends every alarm to the topic', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(4);
    for (const alarm of Object.values(alarms)) {
      expect((alarm as { Properties: { AlarmActions: unknown } }).Properties.AlarmActions).toEqual([{ Ref: logicalId(topic) }]);
    }
  });

  it('grantPutEvents lets a principal put events on the bus', () => {
    const statements = policyStatements(template, logicalId(chatBot));
    expect(statements).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: 'arn:aws:events:eu-west-1:111122223333:event-bus/platform' }]);
  });
});

describe('EscalationFlow sharing an EscalationTable', () => {
  it('makes one table for two flows, and no other', () => {
    const app = testApp({ bundle: false });
    const stack = new Stack(app, 'Shared', { env: ACCOUNT_ENV });
    const table = new EscalationTable(stack, 'Runs', { tableName: 'escalations' });
    const fn = lambda.Function.fromFunctionArn(stack, 'Fn', ESCALATE_ARN);
    const flows = ['one', 'two'].map(
      (name) => new EscalationFlow(stack, name, { flowName: name, escalateFunction: fn, deescalateFunction: fn, targets: [{ srn: SRN }], table: table.table }),
    );
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.resourceCountIs('AWS::Events::EventBus', 2);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 2);
    for (const flow of flows) {
      expect(flow.table).toBe(table.table);
      const statement = statementFor(policyStatements(template, logicalId(flow.dispatcher.role!)), 'dynamodb:GetItem');
      expect(statement.Resource).toEqual([
        arnOf(table.table),
        { 'Fn::Join': ['', [arnOf(table.table), '/index/byExpiry']] },
        { 'Fn::Join': ['', [arnOf(table.table), '/index/byFlow']] },
      ]);
    }
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'escalations' });
  });

  it('grants a customer managed key with the table', async () => {
    const { Key } = await import('aws-cdk-lib/aws-kms');
    const app = testApp({ bundle: false });
    const stack = new Stack(app, 'Kms', { env: ACCOUNT_ENV });
    const key = new Key(stack, 'Key', { enableKeyRotation: true });
    const table = new EscalationTable(stack, 'Runs', { encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    table.grantReadWriteData(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: arnOf(key) } })],
    });
    const statements = policyStatements(template, logicalId(role));
    expect(statementFor(statements, 'dynamodb:PutItem').Resource).toHaveLength(3);
    expect(statements.some((statement) => [statement.Action].flat().includes('kms:Decrypt'))).toBe(true);
  });
});

describe('EscalationFlow validation', () => {
  function attempt(overrides: Partial<EscalationFlowProps>): () => void {
    const app = testApp({ bundle: false });
    const stack = new Stack(app, 'Validation', { env: ACCOUNT_ENV });
    const fn = lambda.Function.fromFunctionArn(stack, 'Fn', ESCALATE_ARN);
    return () =>
      new EscalationFlow(stack, 'Flow', { flowName: 'flow', escalateFunction: fn, deescalateFunction: fn, targets: [{ srn: SRN }], ...overrides });
  }

  it.each<[string, Partial<EscalationFlowProps>, string]>([
    ['flowName', { flowName: 'prod access' }, 'Invalid flowName: "prod access"; use 1-64 letters, digits, hyphens and underscores'],
    ['flowName length', { flowName: 'x'.repeat(65) }, `Invalid flowName: "${'x'.repeat(65)}"; use 1-64 letters, digits, hyphens and underscores`],
    ['org', { org: 'acme corp' }, 'Invalid org: "acme corp"; use 1-64 letters, digits, hyphens and underscores'],
    ['no targets', { targets: [] }, 'Invalid targets: []; give at least one target: a request asks for access to one of them'],
    [
      'target SRN shape',
      { targets: [{ srn: SRN }, { srn: 'acme:access_target:prod-db:latest' }] },
      'Invalid targets[1].srn: "acme:access_target:prod-db:latest"; expected <org>:access_target:<type>:<slug>:<version>[:<identifier>], ' +
        'e.g. acme:access_target:aws_lambda_function:prod-db:latest (parts of letters, digits, - and _; version "latest" or N.N.N)',
    ],
    [
      'target SRN version',
      { targets: [{ srn: 'acme:access_target:aws_lambda_function:prod-db:v1' }] },
      'Invalid targets[0].srn: "acme:access_target:aws_lambda_function:prod-db:v1"; expected <org>:access_target:<type>:<slug>:<version>[:<identifier>], ' +
        'e.g. acme:access_target:aws_lambda_function:prod-db:latest (parts of letters, digits, - and _; version "latest" or N.N.N)',
    ],
    [
      'duplicate SRN',
      { targets: [{ srn: SRN }, { srn: SRN.toUpperCase() }] },
      `Invalid targets[1].srn: "${SRN.toUpperCase()}"; targets[0] has the same SRN (SRNs compare case-insensitively): give each target once`,
    ],
    ['empty label', { targets: [{ srn: SRN, label: ' ' }] }, 'Invalid targets[0].label: " "; give a non-empty label, or leave it out to use the slug'],
    ['relative hooksFile', { hooksFile: 'hooks.ts' }, `Invalid hooksFile: "hooks.ts"; give an absolute path, e.g. path.join(import.meta.dirname, 'hooks.ts')`],
    [
      'missing hooksFile',
      { hooksFile: '/nonexistent/hooks.ts' },
      'Invalid hooksFile: "/nonexistent/hooks.ts"; no such file: give the path of a module that does `export default defineHooks({...})`',
    ],
    ['no sources', { allowedSources: [] }, "Invalid allowedSources: []; give at least one source, or leave it out to accept 'lambda-escalation'"],
    [
      'aws. source',
      { allowedSources: ['acme', 'aws.events'] },
      'Invalid allowedSources[1]: "aws.events"; sources starting with "aws." are reserved for AWS services and cannot be put on a bus',
    ],
    [
      'reserved source',
      { allowedSources: ['lambda-escalation.scheduler'] },
      "Invalid allowedSources[0]: \"lambda-escalation.scheduler\"; lambda-escalation.scheduler and lambda-escalation.lifecycle are the flow's own sources: choose another one",
    ],
    ['zero duration', { defaultDuration: Duration.seconds(0) }, 'Invalid defaultDuration: 0 seconds; give a positive whole number of seconds'],
    ['fractional duration', { maxDuration: Duration.millis(1500) }, 'Invalid maxDuration: 1 second 500 millis; give a positive whole number of seconds'],
    [
      'default over default max',
      { defaultDuration: Duration.hours(13) },
      'Invalid defaultDuration: 13 hours; it must not exceed maxDuration (43200 seconds, the default)',
    ],
    [
      'default over max',
      { defaultDuration: Duration.hours(2), maxDuration: Duration.hours(1) },
      'Invalid defaultDuration: 2 hours; it must not exceed maxDuration (1 hour)',
    ],
    [
      'max under default default',
      { maxDuration: Duration.minutes(30) },
      'Invalid maxDuration: 30 minutes; it must not be shorter than defaultDuration (3600 seconds, the default): lower defaultDuration too',
    ],
    [
      'forward after the timeout',
      { requestTimeout: Duration.hours(1), forwardAfter: Duration.hours(1) },
      'Invalid forwardAfter: 1 hour; it must be shorter than requestTimeout (1 hour), or the request expires before it is forwarded',
    ],
    [
      'sweep interval not whole minutes',
      { sweepInterval: Duration.seconds(90) },
      'Invalid sweepInterval: 1 minute 30 seconds; give whole minutes, at least 1 (an EventBridge rate schedule)',
    ],
    ['fractional sweep grace', { sweepGrace: Duration.millis(500) }, 'Invalid sweepGrace: 500 millis; give a non-negative whole number of seconds'],
    ['retry attempts', { retryAttempts: 200 }, 'Invalid retryAttempts: 200; give a whole number from 0 to 185'],
    ['memory', { memorySize: 64 }, 'Invalid memorySize: 64; give a whole number from 128 to 10240'],
    ['max event age', { maxEventAge: Duration.seconds(30) }, 'Invalid maxEventAge: 30 seconds; EventBridge keeps retrying for 60 seconds to 24 hours'],
    ['forward approver', { forwardApprovers: [''] }, 'Invalid forwardApprovers[0]: ""; give a username'],
  ])('refuses %s', (_name, overrides, message) => {
    expect(attempt(overrides)).toThrow(message);
    try {
      attempt(overrides)();
    } catch (error) {
      expect((error as Error).message).toBe(message);
      expect((error as Error).name).toBe('InvalidPropsError');
    }
  });

  it('refuses a configuration too big for the environment', () => {
    const targets = Array.from({ length: 30 }, (_, i) => ({
      srn: `acme:access_target:aws_lambda_function:db-${i}:latest`,
      settings: { description: 'a fairly long description of this database target' },
    }));
    expect(attempt({ targets })).toThrow(
      /^Invalid targets: "30 target\(s\)"; the flow's configuration \(FLOW_CONFIG\) would take about \d+ bytes of the dispatcher's environment, over the 3200 bytes left of Lambda's 4 KB: use fewer targets, shorter settings or vars, or split the flow$/,
    );
  });

  it('skips checks for unresolved tokens', () => {
    const lazy = (value: string) => Lazy.string({ produce: () => value });
    expect(
      attempt({
        flowName: lazy('resolved-later'),
        targets: [{ srn: lazy('resolved-later') }],
        allowedSources: [lazy('resolved.later')],
      }),
    ).not.toThrow();
  });

  it('refuses a bad tableName on EscalationTable', () => {
    const stack = new Stack(testApp({ bundle: false }), 'Table');
    expect(() => new EscalationTable(stack, 'Runs', { tableName: 'a b' })).toThrow(
      'Invalid tableName: "a b"; 3-255 letters, digits, underscores, hyphens and dots (DynamoDB table naming rules)',
    );
  });
});

describe('LambdaEscalationSampleStack with context', () => {
  it('imports the functions given by ARN, one function for both steps, and per-target overrides', () => {
    const app = testApp({ bundle: false });
    const stack = new LambdaEscalationSampleStack(app, 'Imported', {
      env: ACCOUNT_ENV,
      escalateFunctionArn: ESCALATE_ARN,
      targets: parseSampleTargets(
        JSON.stringify([{ srn: SRN }, { srn: 'acme:access_target:aws_lambda_function:db:latest', deescalateFunctionArn: DEESCALATE_ARN }]),
      ),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    const statements = policyStatements(template, logicalId(stack.flow.dispatcher.role!));
    expect(statementFor(statements, 'lambda:InvokeFunction').Resource).toEqual([ESCALATE_ARN, DEESCALATE_ARN]);
  });

  it('refuses a deescalate ARN alone, and function ARNs without targets', () => {
    const app = testApp({ bundle: false });
    expect(() => new LambdaEscalationSampleStack(app, 'A', { deescalateFunctionArn: DEESCALATE_ARN })).toThrow(
      `Invalid deescalateFunctionArn: "${DEESCALATE_ARN}"; give escalateFunctionArn too (the same ARN when one function does both)`,
    );
    expect(() => new LambdaEscalationSampleStack(app, 'B', { escalateFunctionArn: ESCALATE_ARN })).toThrow(
      'Invalid targets: undefined; with your own functions, give your own targets too (context "targets": a JSON array of {"srn": …})',
    );
  });

  it('reads targets as a JSON array, one object, or an object keyed by SRN', () => {
    expect(parseSampleTargets(undefined)).toBeUndefined();
    expect(parseSampleTargets(`[{"srn":"${SRN}","label":"DB"}]`)).toEqual([{ srn: SRN, label: 'DB' }]);
    expect(parseSampleTargets({ srn: SRN, settings: { a: 1 } })).toEqual([{ srn: SRN, settings: { a: 1 } }]);
    expect(parseSampleTargets({ [SRN]: { label: 'DB' } })).toEqual([{ label: 'DB', srn: SRN }]);
    expect(() => parseSampleTargets('[{')).toThrow(/^Invalid context targets: "\[\{"; it is not JSON/);
    expect(() => parseSampleTargets([{ label: 'x' }])).toThrow(
      'Invalid context targets[0]: {"label":"x"}; each target is an object with an "srn" string (and optional label, settings, escalateFunctionArn, deescalateFunctionArn)',
    );
  });
});
