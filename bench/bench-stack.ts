import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { flowConfigSchema, type FlowConfig } from '../lambda/config/flow-config.js';
import { Dispatcher } from '../lambda/dispatcher.js';
import { EventBridgeLifecyclePublisher } from '../lambda/events/eventbridge-lifecycle-publisher.js';
import { EventBridgeStepScheduler } from '../lambda/scheduler/eventbridge-step-scheduler.js';
import type { Hooks } from '../lambda/sdk/hooks.js';
import { ApprovalTemplateStep, defineHooks, getStepOutput } from '../lambda/sdk/index.js';
import { DynamoDbRunStore } from '../lambda/store/dynamodb-run-store.js';
import { LambdaFunctionInvoker } from '../lambda/strategy/lambda-function-invoker.js';
import { BASE_FLOW, LOCAL_CLIENT_CONFIG, startLocalAws, type LocalAws } from '../test/support/local-aws.js';
import { startSchedulerEventsStub, type SchedulerEventsStub } from '../test/support/scheduler-events-stub.js';
import { SdkCallRecorder } from '../test/support/sdk-call-recorder.js';

export const SCHEDULE_GROUP = 'bench-group';

/** What a real flow's hooks typically do: read the step's output once after escalate and deescalate. */
export const READING_HOOKS: Hooks = defineHooks({
  async afterEscalate() {
    await getStepOutput(ApprovalTemplateStep.ESCALATE);
  },
  async afterDeescalate() {
    await getStepOutput(ApprovalTemplateStep.DEESCALATE);
  },
});

/**
 * The local stack with the dispatcher's production adapters: DynamoDbRunStore on dynalite,
 * LambdaFunctionInvoker on the loopback Invoke endpoint, and EventBridgeStepScheduler and
 * EventBridgeLifecyclePublisher on a loopback Scheduler/PutEvents stub; every client the
 * dispatcher uses has the call recorder on it.
 */
export interface BenchStack {
  readonly aws: LocalAws;
  readonly stub: SchedulerEventsStub;
  readonly recorder: SdkCallRecorder;
  readonly clients: { readonly dynamodb: DynamoDBClient; readonly lambda: LambdaClient; readonly scheduler: SchedulerClient; readonly eventbridge: EventBridgeClient };
  newFlow(options?: { hooks?: Hooks; start?: Date }): Promise<BenchFlow>;
  stop(): Promise<void>;
}

export interface BenchFlow {
  readonly dispatcher: Dispatcher;
  readonly flow: FlowConfig;
  readonly tableName: string;
  now(): Date;
  advance(ms: number): void;
}

export async function startBenchStack(): Promise<BenchStack> {
  const aws = await startLocalAws();
  const stub = await startSchedulerEventsStub();
  const recorder = new SdkCallRecorder();
  const clients = {
    dynamodb: new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: aws.dynalite.endpoint }),
    lambda: new LambdaClient({ ...LOCAL_CLIENT_CONFIG, endpoint: aws.lambdaServer.endpoint }),
    scheduler: new SchedulerClient({ ...LOCAL_CLIENT_CONFIG, endpoint: stub.endpoint }),
    eventbridge: new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: stub.endpoint }),
  };
  recorder.attach(clients.dynamodb).attach(clients.lambda).attach(clients.scheduler).attach(clients.eventbridge);
  return {
    aws,
    stub,
    recorder,
    clients,
    async newFlow(options = {}) {
      const tableName = await aws.newTable();
      const flow = flowConfigSchema.parse({ ...BASE_FLOW, name: 'bench-flow' });
      let now = options.start ?? new Date('2026-12-04T10:00:00.000Z');
      const dispatcher = new Dispatcher({
        flow,
        store: new DynamoDbRunStore({ tableName, client: clients.dynamodb }),
        invoker: new LambdaFunctionInvoker({ client: clients.lambda, timeoutMs: 30_000 }),
        scheduler: new EventBridgeStepScheduler({
          client: clients.scheduler,
          groupName: SCHEDULE_GROUP,
          eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/bench',
          roleArn: 'arn:aws:iam::123456789012:role/bench-scheduler',
        }),
        publisher: new EventBridgeLifecyclePublisher({ client: clients.eventbridge, eventBusName: 'bench' }),
        ...(options.hooks ? { hooks: options.hooks } : {}),
        clock: () => now,
      });
      return {
        dispatcher,
        flow,
        tableName,
        now: () => now,
        advance(ms) {
          now = new Date(now.getTime() + ms);
        },
      };
    },
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await stub.stop();
      await aws.stop();
    },
  };
}

/** Milliseconds `fn` takes on the wall clock, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A plain-text table: first row is the header. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  const line = (r: readonly (string | number)[]) => r.map((cell, c) => (typeof cell === 'number' ? String(cell).padStart(widths[c]!) : String(cell).padEnd(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
