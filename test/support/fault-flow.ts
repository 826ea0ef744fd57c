import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { FlowConfigInput } from '../../lambda/config/flow-config.js';
import { Dispatcher } from '../../lambda/dispatcher.js';
import { DynamoDbRunStore } from '../../lambda/store/dynamodb-run-store.js';
import { LambdaFunctionInvoker } from '../../lambda/strategy/lambda-function-invoker.js';
import { CountingHooks } from './counting-hooks.js';
import { CrashingRunStore } from './crashing-run-store.js';
import { DeliveryHarness, type DeliveryHarnessProps } from './delivery-harness.js';
import { GrantLedger } from './grant-ledger.js';
import { LOCAL_CLIENT_CONFIG, newTestFlow, RecordingPublisher, type LocalAws, type TestFlow } from './local-aws.js';
import { SdkFaultInjector, type FaultKind } from './sdk-fault-injector.js';
import { SeededRandom } from './seeded-random.js';
import { VirtualScheduler } from './virtual-scheduler.js';

export interface FaultFlowOptions {
  readonly seed: number;
  /** Fraction of DynamoDB and Lambda calls that fail while faults are on. @default 0 */
  readonly faultRate?: number;
  readonly faultKinds?: readonly FaultKind[];
  readonly flow?: Partial<FlowConfigInput>;
  /** @default 120000, the dispatcher's default */
  readonly claimStaleAfterMs?: number;
  readonly harness?: Partial<Omit<DeliveryHarnessProps, 'dispatcher' | 'clock' | 'rng' | 'scheduler'>>;
  /** Count on-hooks too (they run before a step's work). @default false */
  readonly onHooks?: boolean;
}

/**
 * A dispatcher wired for reliability tests: its own DynamoDB and Lambda clients with a
 * fault injector (the table is scanned through the clean client of `t`), a store that can
 * crash after an invoke, a virtual scheduler, functions that log every grant and revoke on
 * the test's clock, counting hooks, and a harness that delivers like EventBridge.
 */
export interface FaultFlow {
  /** The clean side: table, scans, clock, flow config. Its own dispatcher is not used. */
  readonly t: TestFlow;
  readonly dispatcher: Dispatcher;
  readonly store: CrashingRunStore;
  readonly faults: SdkFaultInjector;
  readonly scheduler: VirtualScheduler;
  readonly ledger: GrantLedger;
  readonly hooks: CountingHooks;
  readonly publisher: RecordingPublisher;
  readonly harness: DeliveryHarness;
  readonly rng: SeededRandom;
  close(): void;
}

export async function newFaultFlow(aws: LocalAws, options: FaultFlowOptions): Promise<FaultFlow> {
  const rng = new SeededRandom(options.seed);
  const prefix = `fn-${randomUUID().slice(0, 8)}`;
  const t = await newTestFlow(aws, {
    flow: { escalateFunction: `${prefix}-escalate`, deescalateFunction: `${prefix}-deescalate`, ...options.flow },
  });
  const ledger = new GrantLedger(t.now);
  const fns = ledger.functions();
  aws.lambdaServer.setFunction(`${prefix}-escalate`, fns.escalate);
  aws.lambdaServer.setFunction(`${prefix}-deescalate`, fns.deescalate);

  const faults = new SdkFaultInjector({
    rng: rng.fork('faults'),
    rate: options.faultRate ?? 0,
    ...(options.faultKinds ? { kinds: options.faultKinds } : {}),
  });
  const dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: aws.dynalite.endpoint });
  const lambda = new LambdaClient({ ...LOCAL_CLIENT_CONFIG, endpoint: aws.lambdaServer.endpoint, maxAttempts: 2 });
  faults.attach(dynamodb).attach(lambda);

  const store = new CrashingRunStore(new DynamoDbRunStore({ tableName: t.tableName, client: dynamodb }));
  const scheduler = new VirtualScheduler();
  const hooks = new CountingHooks({ onHooks: options.onHooks ?? false });
  const publisher = new RecordingPublisher();
  const dispatcher = new Dispatcher({
    flow: t.flow,
    store,
    invoker: new LambdaFunctionInvoker({ client: lambda, timeoutMs: 5_000 }),
    scheduler,
    publisher,
    hooks: hooks.hooks,
    clock: t.now,
    ...(options.claimStaleAfterMs !== undefined ? { claimStaleAfterMs: options.claimStaleAfterMs } : {}),
  });
  const harness = new DeliveryHarness({
    dispatcher,
    clock: { now: t.now, advance: (ms) => t.advance(ms) },
    rng: rng.fork('harness'),
    scheduler,
    ...options.harness,
  });
  return {
    t,
    dispatcher,
    store,
    faults,
    scheduler,
    ledger,
    hooks,
    publisher,
    harness,
    rng,
    close() {
      dynamodb.destroy();
      lambda.destroy();
    },
  };
}
