import { Logger } from '@aws-lambda-powertools/logger';
import { flowConfigSchema, type FlowConfig } from './config/flow-config.js';
import { Dispatcher, type DispatchResult, type SweepResult } from './dispatcher.js';
import { EventBridgeLifecyclePublisher } from './events/eventbridge-lifecycle-publisher.js';
import { EventBridgeStepScheduler } from './scheduler/eventbridge-step-scheduler.js';
import { AdapterConfigurationError } from './adapter-errors.js';
import { validateHooks, type Hooks } from './sdk/hooks.js';
import { DynamoDbRunStore } from './store/dynamodb-run-store.js';
import { LambdaFunctionInvoker } from './strategy/lambda-function-invoker.js';

/** The environment the stack gives the dispatcher function. */
export interface DispatcherEnvironment {
  readonly TABLE_NAME: string;
  readonly FLOW_CONFIG: string;
  readonly EVENT_BUS_NAME: string;
  readonly EVENT_BUS_ARN: string;
  readonly SCHEDULE_GROUP_NAME: string;
  readonly SCHEDULER_ROLE_ARN: string;
  readonly SCHEDULER_DLQ_ARN?: string;
  /** The dispatcher function's timeout. @default '120' */
  readonly DISPATCHER_TIMEOUT_SECONDS?: string;
}

const REQUIRED = ['TABLE_NAME', 'FLOW_CONFIG', 'EVENT_BUS_NAME', 'EVENT_BUS_ARN', 'SCHEDULE_GROUP_NAME', 'SCHEDULER_ROLE_ARN'] as const;

/** Reads and checks the dispatcher's environment; a missing or bad value names itself. */
export function readEnvironment(env: NodeJS.ProcessEnv): { env: DispatcherEnvironment; flow: FlowConfig } {
  const missing = REQUIRED.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new AdapterConfigurationError(`the dispatcher's environment lacks ${missing.join(', ')}: deploy it with the EscalationFlow construct, which sets them`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.FLOW_CONFIG as string);
  } catch (error) {
    throw new AdapterConfigurationError(`FLOW_CONFIG is not JSON: ${(error as Error).message}`);
  }
  const flow = flowConfigSchema.safeParse(parsed);
  if (!flow.success) {
    throw new AdapterConfigurationError(
      `FLOW_CONFIG is not a valid flow: ${flow.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return { env: env as unknown as DispatcherEnvironment, flow: flow.data };
}

/**
 * The dispatcher Lambda's handler for a flow with `hooks`. The stack bundles a generated
 * entry `export const handler = createHandler(hooks)` with the user's hooks module. The
 * clients are built on the first event, once per container, not at import.
 */
export function createHandler(hooks: Hooks): (event: unknown) => Promise<DispatchResult | SweepResult> {
  validateHooks(hooks, 'the hooks module bundled into the dispatcher');
  let dispatcher: Dispatcher | undefined;
  const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lambda-escalation' });
  return async (event: unknown) => {
    dispatcher ??= build(hooks, logger);
    const result = await dispatcher.handle(event);
    logger.info('dispatched', { result });
    return result;
  };
}

/**
 * Time budgets from the dispatcher's own timeout: one event may invoke escalate and then a
 * compensating deescalate, so each invocation gets under half of it; a claim counts as
 * crashed only once the function that made it must have been stopped.
 */
export function timeBudgets(timeoutSeconds: number): { invokeTimeoutMs: number; claimStaleAfterMs: number } {
  return { invokeTimeoutMs: Math.floor((timeoutSeconds * 1000) / 2.5), claimStaleAfterMs: timeoutSeconds * 1000 + 60_000 };
}

function build(hooks: Hooks, logger: Logger): Dispatcher {
  const { env, flow } = readEnvironment(process.env);
  const timeoutSeconds = Number(env.DISPATCHER_TIMEOUT_SECONDS ?? '120');
  const budgets = timeBudgets(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds : 120);
  return new Dispatcher({
    flow,
    hooks,
    logger,
    claimStaleAfterMs: budgets.claimStaleAfterMs,
    store: new DynamoDbRunStore({ tableName: env.TABLE_NAME }),
    invoker: new LambdaFunctionInvoker({ timeoutMs: budgets.invokeTimeoutMs }),
    scheduler: new EventBridgeStepScheduler({
      groupName: env.SCHEDULE_GROUP_NAME,
      eventBusArn: env.EVENT_BUS_ARN,
      roleArn: env.SCHEDULER_ROLE_ARN,
      ...(env.SCHEDULER_DLQ_ARN ? { deadLetterQueueArn: env.SCHEDULER_DLQ_ARN } : {}),
    }),
    publisher: new EventBridgeLifecyclePublisher({ eventBusName: env.EVENT_BUS_NAME }),
  });
}
