import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { flowConfigSchema, type FlowConfig, type FlowConfigInput, type FlowTargetConfig } from '../config/flow-config.js';
import { Dispatcher, type DispatcherLogger } from '../dispatcher.js';
import type { RunRecord } from '../engine/run.js';
import { SCHEDULER_EVENT_SOURCE } from '../scheduler/eventbridge-step-scheduler.js';
import { SCHEDULER_ACTOR } from '../scheduler/eventbridge-step-scheduler.js';
import type { ScheduledEvent } from '../scheduler/step-scheduler.js';
import { TimerStepScheduler } from '../scheduler/timer-step-scheduler.js';
import type { Hooks } from '../sdk/hooks.js';
import type { JsonObject } from '../sdk/json.js';
import { DynamoDbRunStore } from '../store/dynamodb-run-store.js';
import { createRunTable } from '../store/run-table.js';
import { LambdaFunctionInvoker } from '../strategy/lambda-function-invoker.js';
import { ConsoleLifecyclePublisher } from './console-lifecycle-publisher.js';
import { startDynalite, type DynaliteServer } from './dynalite-server.js';
import { LocalConfigError } from './errors.js';
import { EventDelivery, describe, formatResult } from './event-delivery.js';
import { functionNameOf, startLambdaInvokeServer, type LambdaInvokeServer } from './lambda-invoke-server.js';
import { loadHandler } from './module-loader.js';
import { startPutEventsServer, type EventBridgeEvent, type PutEventsServer } from './put-events-server.js';
import { toRunSummary, toRunView, type EventOutcome } from './run-view.js';
import { loadHooksFile, loadTargetsFile } from './user-files.js';
import { LOCAL_CLIENT_CONFIG } from './loopback-server.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples');

/** Where local mode finds the user's code when no file is given: the examples. */
export const DEFAULT_FILES = {
  hooks: path.join(EXAMPLES, 'hooks.ts'),
  escalate: path.join(EXAMPLES, 'escalate.ts'),
  deescalate: path.join(EXAMPLES, 'deescalate.ts'),
} as const;

/** The targets local mode offers when no targets file is given. */
export const DEFAULT_TARGETS: readonly FlowTargetConfig[] = [
  {
    srn: 'lambda-escalation:access_target:aws_lambda_function:prod-db:latest',
    label: 'Production database (example)',
    settings: { arn: 'arn:aws:rds:us-east-1:000000000000:db:prod' },
  },
  {
    srn: 'lambda-escalation:access_target:aws_lambda_function:staging-db:latest',
    label: 'Staging database (example)',
    settings: { arn: 'arn:aws:rds:us-east-1:000000000000:db:staging' },
  },
];

/** The flow local mode runs when the options change nothing. */
export const LOCAL_FLOW: FlowConfigInput = {
  name: 'local',
  escalateFunction: 'escalate',
  deescalateFunction: 'deescalate',
  targets: [...DEFAULT_TARGETS],
};

/** The table the runs live in, inside dynalite. */
export const LOCAL_TABLE_NAME = 'lambda-escalation-runs';

// Later than any expiry a run can have: listDue up to it returns every pending run.
const FAR_FUTURE = new Date('9999-12-31T23:59:59.999Z');

export interface LocalRuntimeOptions {
  /** Port of the events endpoint (PutEvents) and the control API, on 127.0.0.1. @default 0 - a free port */
  readonly port?: number;
  /** Folder dynalite persists the runs in, so they survive a restart. @default - in memory, gone on stop */
  readonly dataDir?: string;
  /** The hooks module (default export). @default DEFAULT_FILES.hooks */
  readonly hooksFile?: string;
  /** Module whose `handler` export is the escalate function. @default DEFAULT_FILES.escalate */
  readonly escalateFile?: string;
  /** Module whose `handler` export is the deescalate function. @default DEFAULT_FILES.deescalate */
  readonly deescalateFile?: string;
  /** JSON array of `{ srn, label?, settings? }`. @default DEFAULT_TARGETS */
  readonly targetsFile?: string;
  /** Changes to {@link LOCAL_FLOW}; `targetsFile` wins over `flow.targets`. @default {} */
  readonly flow?: Partial<FlowConfigInput>;
  /** Where each line goes: dispatched events, lifecycle events, warnings. @default console.log */
  readonly log?: (line: string) => void;
  /** How often the sweep runs, the backstop for anything a timer missed. @default 1000 */
  readonly sweepIntervalMs?: number;
  /** Attempts at an event whose dispatch throws (a transient failure) before it is reported lost. @default 4 (see EventDelivery) */
  readonly maxAttempts?: number;
  /** Wait before the first retry; doubled for each one after. @default 100 (see EventDelivery) */
  readonly retryBaseDelayMs?: number;
  /** How long one escalate/deescalate invocation may take. @default 60000 */
  readonly functionTimeoutMs?: number;
}

export interface LocalRuntime {
  /** `http://127.0.0.1:<port>`: PutEvents and the control API. */
  readonly endpoint: string;
  readonly port: number;
  readonly dynamodbEndpoint: string;
  readonly lambdaEndpoint: string;
  /** Absolute, when the runs persist. */
  readonly dataDir?: string;
  readonly flow: FlowConfig;
  /** The files in use, absolute. */
  readonly files: { readonly hooks: string; readonly escalate: string; readonly deescalate: string; readonly targets?: string };
  /** Deescalations whose timers were set again from the store at start. */
  readonly rearmed: readonly ScheduledEvent[];
  readonly dispatcher: Dispatcher;
  readonly store: DynamoDbRunStore;
  /** Hands one EventBridge event to the dispatcher as the bus would, with retries; never throws. */
  deliver(event: EventBridgeEvent): Promise<EventOutcome>;
  /** Resolves with the run once `until` holds for it; rejects after `timeoutMs`. */
  waitForRun(runId: string, until: (run: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  /** Stops the sweep, the timers, the servers and dynalite, after in-flight events finish. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Local mode: the dispatcher AWS runs, on one machine. dynalite stands in for DynamoDB,
 * a loopback Lambda Invoke endpoint serves the user's handler modules, timers stand in
 * for EventBridge Scheduler, and a loopback PutEvents endpoint stands in for the bus.
 *
 * Timers live in this process only, so at start every escalated run in the store gets its
 * deescalation timer back (an overdue one fires at once), and the sweep runs every
 * `sweepIntervalMs` as it does on a schedule in AWS.
 *
 * @throws LocalConfigError, ModuleLoadError when a file or option is wrong; nothing is left running
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  const files = {
    hooks: path.resolve(options.hooksFile ?? DEFAULT_FILES.hooks),
    escalate: path.resolve(options.escalateFile ?? DEFAULT_FILES.escalate),
    deescalate: path.resolve(options.deescalateFile ?? DEFAULT_FILES.deescalate),
    ...(options.targetsFile !== undefined ? { targets: path.resolve(options.targetsFile) } : {}),
  };

  // The user's files first: a mistake in one is reported before anything is started.
  const targets = files.targets !== undefined ? await loadTargetsFile(files.targets) : undefined;
  const flow = parseFlow({ ...LOCAL_FLOW, ...options.flow, ...(targets ? { targets } : {}) });
  if (functionNameOf(flow.escalateFunction) === functionNameOf(flow.deescalateFunction)) {
    // One loopback function cannot be both handler modules.
    throw new LocalConfigError(
      `the local flow names one function, ${JSON.stringify(flow.escalateFunction)}, for both escalate and deescalate: give them different names`,
    );
  }
  const hooks: Hooks = await loadHooksFile(files.hooks);
  const escalateHandler = await loadHandler(files.escalate);
  const deescalateHandler = await loadHandler(files.deescalate);

  const cleanup: (() => Promise<void> | void)[] = [];
  const runCleanup = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
    const dynalite: DynaliteServer = await startDynalite(dataDir !== undefined ? { dataDir } : {});
    cleanup.push(() => dynalite.stop());
    const dynamodb = new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynalite.endpoint });
    cleanup.push(() => dynamodb.destroy());
    await createActiveTable(dynamodb, LOCAL_TABLE_NAME);
    const store = new DynamoDbRunStore({ tableName: LOCAL_TABLE_NAME, client: dynamodb });

    const lambdaServer: LambdaInvokeServer = await startLambdaInvokeServer({
      functions: {
        [functionNameOf(flow.escalateFunction)]: escalateHandler,
        [functionNameOf(flow.deescalateFunction)]: deescalateHandler,
      },
    });
    cleanup.push(() => lambdaServer.stop());
    const lambda = new LambdaClient({ ...LOCAL_CLIENT_CONFIG, endpoint: lambdaServer.endpoint, maxAttempts: 2 });
    cleanup.push(() => lambda.destroy());

    const publisher = new ConsoleLifecyclePublisher({ log });
    let stopping = false;
    // Scheduler -> delivery -> dispatcher -> scheduler: a cycle, closed by a closure that
    // reads `dispatcher` only once events flow, after it is built below.
    const delivery = new EventDelivery({
      handle: (event) => dispatcher.handle(event),
      log,
      ...optional('maxAttempts', options.maxAttempts),
      ...optional('retryBaseDelayMs', options.retryBaseDelayMs),
    });
    const deliver = (event: EventBridgeEvent): Promise<EventOutcome> => delivery.deliver(event);

    const scheduler = new TimerStepScheduler({
      fire: async (scheduled) => {
        await untilDue(scheduled.at);
        if (!stopping) await deliver(schedulerEvent(scheduled));
      },
    });
    cleanup.push(() => scheduler.stop());

    const dispatcher = new Dispatcher({
      flow,
      store,
      invoker: new LambdaFunctionInvoker({ client: lambda, timeoutMs: options.functionTimeoutMs ?? 60_000 }),
      scheduler,
      publisher,
      hooks,
      logger: consoleLogger(log),
    });

    const events: PutEventsServer = await startPutEventsServer({
      port: options.port ?? 0,
      deliver: async (event) => {
        await deliver(event);
      },
      control: {
        async getRun(runId) {
          const run = await store.get(runId);
          return run ? toRunView(run, publisher.forRun(runId)) : undefined;
        },
        async listRuns(query) {
          return (await store.listRuns(flow.name, query)).map(toRunSummary);
        },
        getEvent: (eventId) => delivery.outcome(eventId),
      },
    }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new LocalConfigError(`port ${options.port} on 127.0.0.1 is in use (is another serve running?): pass another --port`, { cause: error });
      }
      throw error;
    });
    cleanup.push(async () => {
      stopping = true;
      await events.stop();
      // An event already handed to the dispatcher is finished, so no run is left claimed.
      await delivery.close();
    });

    // Timers died with the last process: every escalated run gets its deescalation back.
    const rearmed: ScheduledEvent[] = [];
    for (const runId of await store.listDue(flow.name, FAR_FUTURE, 100_000)) {
      const run = await store.get(runId);
      if (run?.state !== 'escalated' || run.expiresAt === undefined) continue;
      const scheduled: ScheduledEvent = { runId: run.runId, step: 'deescalate', at: new Date(run.expiresAt) };
      rearmed.push(scheduled);
      const inMs = scheduled.at.getTime() - Date.now();
      log(`re-armed    deescalate run ${run.runId} at ${run.expiresAt} (${inMs > 0 ? `in ${(inMs / 1000).toFixed(1)}s` : `overdue by ${(-inMs / 1000).toFixed(1)}s: now`})`);
      await scheduler.schedule(scheduled);
    }

    let sweeping: Promise<void> | undefined;
    let sweepFailing = false;
    const sweepTimer = setInterval(() => {
      if (sweeping || stopping) return;
      sweeping = dispatcher
        .sweep()
        .then((result) => {
          sweepFailing = false;
          for (const fired of result.fired) log(`sweep       ${formatResult(fired, 'sweep')}`);
        })
        .catch((error: unknown) => {
          // Once per failing streak: the next tick tries again.
          if (!sweepFailing) log(`!!! sweep failed: ${describe(error)}; retrying every ${sweepIntervalMs} ms`);
          sweepFailing = true;
        })
        .finally(() => {
          sweeping = undefined;
        });
    }, sweepIntervalMs);
    cleanup.push(async () => {
      clearInterval(sweepTimer);
      await sweeping;
    });

    let stopped: Promise<void> | undefined;
    return {
      endpoint: events.endpoint,
      port: events.port,
      dynamodbEndpoint: dynalite.endpoint,
      lambdaEndpoint: lambdaServer.endpoint,
      ...(dataDir !== undefined ? { dataDir } : {}),
      flow,
      files,
      rearmed,
      dispatcher,
      store,
      deliver,
      async waitForRun(runId, until, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const run = await store.get(runId);
          if (run && until(run)) return run;
          if (Date.now() >= deadline) {
            throw new Error(`run ${runId} did not reach the expected state within ${timeoutMs} ms; it is ${run ? run.state : 'not there'}`);
          }
          await sleep(50);
        }
      },
      stop() {
        stopped ??= runCleanup();
        return stopped;
      },
    };
  } catch (error) {
    await runCleanup();
    throw error;
  }
}

function parseFlow(input: FlowConfigInput): FlowConfig {
  const parsed = flowConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'flow'}: ${issue.message}`).join('; ');
  throw new LocalConfigError(`the local flow configuration is invalid: ${problems}`);
}

/** A new table turns ACTIVE a moment after CreateTable answers; using it earlier fails. */
async function createActiveTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await createRunTable(client, tableName);
  for (let i = 0; i < 200; i++) {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table.Table?.TableStatus === 'ACTIVE') return;
    await sleep(10);
  }
  throw new LocalConfigError(`table ${tableName} did not become ACTIVE in dynalite within 2 s`);
}

/** The event an EventBridge Scheduler schedule puts on the bus (see EventBridgeStepScheduler). */
function schedulerEvent(scheduled: ScheduledEvent): EventBridgeEvent {
  const detail: JsonObject =
    scheduled.step === 'deescalate'
      ? { runId: scheduled.runId, actor: { ...SCHEDULER_ACTOR }, deescalateType: 'scheduled' }
      : { runId: scheduled.runId, actor: { ...SCHEDULER_ACTOR } };
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': scheduled.step,
    source: SCHEDULER_EVENT_SOURCE,
    account: '000000000000',
    time: `${new Date().toISOString().slice(0, 19)}Z`,
    region: LOCAL_CLIENT_CONFIG.region,
    resources: [],
    detail,
  };
}

/**
 * Timers and the wall clock can disagree by a millisecond, and the engine refuses a
 * scheduled deescalation that arrives before the expiry (then only the sweep, minutes
 * later, would end the access): wait out the difference.
 */
async function untilDue(at: Date): Promise<void> {
  for (let early = at.getTime() - Date.now(); early >= 0; early = at.getTime() - Date.now()) await sleep(early + 1);
}

function consoleLogger(log: (line: string) => void): DispatcherLogger {
  const line = (level: string, message: string, extra: Record<string, unknown>[]): void => {
    const context = Object.assign({}, ...extra) as Record<string, unknown>;
    log(`${level.padEnd(12)}${message}${Object.keys(context).length > 0 ? ` ${JSON.stringify(context)}` : ''}`);
  };
  return {
    debug() {},
    info() {},
    // The dispatch line already says why an event was refused.
    warn: (message, ...extra) => (message === 'event refused' ? undefined : line('warn', message, extra)),
    error: (message, ...extra) => line('!!! error', message, extra),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
