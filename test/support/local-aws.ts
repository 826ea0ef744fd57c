import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { flowConfigSchema, type FlowConfig, type FlowConfigInput } from '../../lambda/config/flow-config.js';
import { Dispatcher, type DispatcherProps } from '../../lambda/dispatcher.js';
import type { LifecycleEvent, LifecycleEventPublisher } from '../../lambda/events/lifecycle-event.js';
import { startDynalite, type DynaliteServer } from '../../lambda/local/dynalite-server.js';
import { startLambdaInvokeServer, type LambdaHandler, type LambdaInvokeServer } from '../../lambda/local/lambda-invoke-server.js';
import type { ScheduledEvent, ScheduledStep, StepScheduler } from '../../lambda/scheduler/step-scheduler.js';
import { DynamoDbRunStore } from '../../lambda/store/dynamodb-run-store.js';
import { createRunTable } from '../../lambda/store/run-table.js';
import { LambdaFunctionInvoker } from '../../lambda/strategy/lambda-function-invoker.js';
import { LOCAL_CLIENT_CONFIG } from '../../lambda/local/loopback-server.js';

export { LOCAL_CLIENT_CONFIG } from '../../lambda/local/loopback-server.js';

export const TARGET_SRN = 'acme:access_target:aws_lambda_function:prod-db:latest';
export const OTHER_TARGET_SRN = 'acme:access_target:aws_lambda_function:staging-db:latest';

export const BASE_FLOW: FlowConfigInput = {
  name: 'test-flow',
  org: 'acme',
  escalateFunction: 'escalate',
  deescalateFunction: 'deescalate',
  targets: [
    { srn: TARGET_SRN, label: 'Prod DB', settings: { arn: 'arn:aws:rds:us-east-1:123456789012:db:prod' } },
    { srn: OTHER_TARGET_SRN },
  ],
};

/** Records what the engine asked to schedule; tests fire due steps by hand. */
export class RecordingScheduler implements StepScheduler {
  public readonly scheduled: ScheduledEvent[] = [];
  public readonly cancelled: { runId: string; step: ScheduledStep }[] = [];
  public async schedule(event: ScheduledEvent): Promise<void> {
    this.scheduled.push(event);
  }
  public async cancel(runId: string, step: ScheduledStep): Promise<void> {
    this.cancelled.push({ runId, step });
  }
  public pendingFor(runId: string): ScheduledEvent | undefined {
    return [...this.scheduled].reverse().find((e) => e.runId === runId);
  }
}

export class RecordingPublisher implements LifecycleEventPublisher {
  public readonly events: LifecycleEvent[] = [];
  public readonly calls: number[] = [];
  public async publish(events: readonly LifecycleEvent[]): Promise<void> {
    this.calls.push(events.length);
    this.events.push(...events);
  }
  public typesFor(runId: string): string[] {
    return this.events.filter((e) => e.runId === runId).map((e) => e.type);
  }
}

/** The example-style Lambdas the tests serve: escalate returns a grant the deescalate uses. */
export const DEFAULT_FUNCTIONS: Record<string, LambdaHandler> = {
  escalate: async (event) => {
    const e = event as { run: { srn: string }; actor: { username: string }; fields: { target: { srn: string } } };
    return { body: { grantId: `grant:${e.run.srn}`, target: e.fields.target.srn, approver: e.actor.username }, errors: [] };
  },
  deescalate: async (event) => {
    const e = event as { outputs?: { escalate?: { body: { grantId?: string } | null } } };
    return { body: { revoked: e.outputs?.escalate?.body?.grantId ?? null }, errors: [] };
  },
};

export interface LocalAws {
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
  readonly lambdaServer: LambdaInvokeServer;
  readonly dynalite: DynaliteServer;
  /** A fresh table for each call, so tests in one file do not see each other's runs. */
  newTable(): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalAws(functions: Record<string, LambdaHandler> = DEFAULT_FUNCTIONS): Promise<LocalAws> {
  const dynalite = await startDynalite();
  const lambdaServer = await startLambdaInvokeServer({ functions });
  const dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynalite.endpoint });
  const lambda = new LambdaClient({ ...LOCAL_CLIENT_CONFIG, endpoint: lambdaServer.endpoint, maxAttempts: 2 });
  return {
    dynamodb,
    lambda,
    lambdaServer,
    dynalite,
    async newTable() {
      const tableName = `runs-${randomUUID()}`;
      await createRunTable(dynamodb, tableName);
      for (let i = 0; i < 100; i++) {
        const t = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
        if (t.Table?.TableStatus === 'ACTIVE') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return tableName;
    },
    async stop() {
      dynamodb.destroy();
      lambda.destroy();
      await lambdaServer.stop();
      await dynalite.stop();
    },
  };
}

export interface TestFlow {
  readonly dispatcher: Dispatcher;
  readonly store: DynamoDbRunStore;
  readonly scheduler: RecordingScheduler;
  readonly publisher: RecordingPublisher;
  readonly flow: FlowConfig;
  readonly tableName: string;
  /** Every item in the table, for "nothing changed" assertions. */
  scan(): Promise<unknown[]>;
  /** Moves the dispatcher's clock. */
  advance(ms: number): void;
  now(): Date;
}

export async function newTestFlow(
  aws: LocalAws,
  options: { flow?: Partial<FlowConfigInput>; dispatcher?: Partial<DispatcherProps>; start?: Date } = {},
): Promise<TestFlow> {
  const tableName = await aws.newTable();
  const flow = flowConfigSchema.parse({ ...BASE_FLOW, ...options.flow });
  const store = new DynamoDbRunStore({ tableName, client: aws.dynamodb });
  const scheduler = new RecordingScheduler();
  const publisher = new RecordingPublisher();
  let now = options.start ?? new Date('2026-12-04T10:00:00.000Z');
  const dispatcher = new Dispatcher({
    flow,
    store,
    invoker: new LambdaFunctionInvoker({ client: aws.lambda, timeoutMs: 5_000 }),
    scheduler,
    publisher,
    clock: () => now,
    ...options.dispatcher,
  });
  return {
    dispatcher,
    store,
    scheduler,
    publisher,
    flow,
    tableName,
    async scan() {
      const out = await aws.dynamodb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      return (out.Items ?? []).sort((a, b) => String(a.pk?.S).localeCompare(String(b.pk?.S)));
    },
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
    now: () => now,
  };
}

export interface EventDetail {
  readonly runId?: string;
  readonly actor?: { username: string; name?: string };
  readonly targetSrn?: string;
  readonly duration?: number | string;
  readonly fields?: Record<string, unknown>;
  readonly [extra: string]: unknown;
}

/** An EventBridge event as the bus delivers it to the dispatcher. */
export function busEvent(step: string, detail: EventDetail | Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': step,
    source: 'lambda-escalation',
    account: '123456789012',
    time: '2026-12-04T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  };
}

export const ALICE = { username: 'alice@example.com', name: 'Alice' };
export const BOB = { username: 'bob@example.com', name: 'Bob' };
export const CAROL = { username: 'carol@example.com', name: 'Carol' };
