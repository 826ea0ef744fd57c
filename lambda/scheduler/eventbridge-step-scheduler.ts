import { createHash } from 'node:crypto';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClientConfig,
  type UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import type { ScheduledEvent, ScheduledStep, StepScheduler } from './step-scheduler.js';
import { AdapterConfigurationError, awsErrorName, describeAwsError, isTransientAwsError } from '../adapter-errors.js';
import { StepSchedulerError } from './errors.js';

/** `source` of the events the schedules put on the bus; the flow's rule lets it through. */
export const SCHEDULER_EVENT_SOURCE = 'lambda-escalation.scheduler';

/** Who the engine names as the actor of a step it fires by itself. */
export const SCHEDULER_ACTOR = { username: 'lambda-escalation', name: 'lambda-escalation scheduler' } as const;

export interface EventBridgeStepSchedulerProps {
  /** A client to use. Give this or `clientConfig`, not both. @default a client built from `clientConfig` */
  readonly client?: SchedulerClient;
  /** Configuration for the client this scheduler builds. @default {} (region and credentials from the environment) */
  readonly clientConfig?: SchedulerClientConfig;
  /** Schedule group every schedule goes in (the flow's group). */
  readonly groupName: string;
  /** ARN of the event bus the schedules put the step's event on. */
  readonly eventBusArn: string;
  /** Execution role EventBridge Scheduler assumes to call `events:PutEvents` on the bus. */
  readonly roleArn: string;
  /** SQS queue for events the scheduler could not deliver after its retries. @default no dead-letter queue */
  readonly deadLetterQueueArn?: string;
  /** `source` of the events put on the bus. @default 'lambda-escalation.scheduler' */
  readonly source?: string;
  /** Retries of a failed delivery to the bus, 0-185. @default 185 */
  readonly maximumRetryAttempts?: number;
  /** How long Scheduler keeps retrying an undelivered event, 60-86400 seconds. @default 86400 */
  readonly maximumEventAgeSeconds?: number;
}

// Scheduler's limits on a schedule name.
// @see https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html#API_CreateSchedule_RequestSyntax
const NAME_PATTERN = /^[0-9a-zA-Z\-_.]+$/;
const NAME_MAX_LENGTH = 64;
const NAME_HASH_LENGTH = 16;

/**
 * The schedule's name for a run's step: `<runId>-<step>` when that is a valid name, else a
 * readable prefix plus a hash of both parts, so two different runs can never share a name
 * (a bare "replace the bad characters" would map `a/b` and `a_b` to one schedule).
 */
export function scheduleName(runId: string, step: ScheduledStep): string {
  const plain = `${runId}-${step}`;
  if (plain.length <= NAME_MAX_LENGTH && NAME_PATTERN.test(plain)) return plain;
  const hash = createHash('sha256').update(runId).update('\0').update(step).digest('hex').slice(0, NAME_HASH_LENGTH);
  const readable = plain.replace(/[^0-9a-zA-Z\-_.]/g, '_').slice(0, NAME_MAX_LENGTH - NAME_HASH_LENGTH - 1);
  return `${readable}-${hash}`;
}

/**
 * A one-time `at()` expression in UTC. Sub-second precision is dropped (the API takes
 * whole seconds), which fires at most a second early: for a revocation, the safe side.
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time
 */
export function atExpression(at: Date): string {
  if (Number.isNaN(at.getTime())) {
    throw new RangeError(`cannot schedule at an invalid date (${String(at)})`);
  }
  return `at(${at.toISOString().slice(0, 19)})`;
}

/**
 * Schedules a run's later steps as one-time EventBridge Scheduler schedules that put the
 * step's event on the flow's bus, where the flow's rule hands it to the dispatcher like
 * any other event. A schedule deletes itself once it has fired.
 */
export class EventBridgeStepScheduler implements StepScheduler {
  private readonly client: SchedulerClient;
  private readonly groupName: string;
  private readonly eventBusArn: string;
  private readonly roleArn: string;
  private readonly deadLetterQueueArn?: string;
  private readonly source: string;
  private readonly maximumRetryAttempts: number;
  private readonly maximumEventAgeSeconds: number;

  public constructor(props: EventBridgeStepSchedulerProps) {
    if (props.client && props.clientConfig) {
      throw new AdapterConfigurationError(
        'EventBridgeStepScheduler: give either client or clientConfig, not both (clientConfig only configures a client this scheduler builds)',
      );
    }
    this.client = props.client ?? new SchedulerClient(props.clientConfig ?? {});
    this.groupName = props.groupName;
    this.eventBusArn = props.eventBusArn;
    this.roleArn = props.roleArn;
    this.deadLetterQueueArn = props.deadLetterQueueArn;
    this.source = props.source ?? SCHEDULER_EVENT_SOURCE;
    this.maximumRetryAttempts = props.maximumRetryAttempts ?? 185;
    this.maximumEventAgeSeconds = props.maximumEventAgeSeconds ?? 86_400;
  }

  public async schedule(event: ScheduledEvent): Promise<void> {
    if (Number.isNaN(event.at.getTime())) {
      throw new StepSchedulerError(
        `cannot schedule ${event.step} of run ${event.runId} at an invalid date`,
        event.runId,
        event.step,
        { operation: 'CreateSchedule', transient: false },
      );
    }
    const input = this.scheduleInput(event);
    // Create first: the common case is a new schedule. A ConflictException means it
    // exists (a retried event, or an extension moving the expiry), so overwrite it. If it
    // fired and deleted itself between the two calls, create it once more.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.client.send(new CreateScheduleCommand(input));
        return;
      } catch (error) {
        if (awsErrorName(error) !== 'ConflictException') throw this.translate(error, 'CreateSchedule', event.runId, event.step);
      }
      try {
        await this.client.send(new UpdateScheduleCommand(input satisfies UpdateScheduleCommandInput));
        return;
      } catch (error) {
        if (awsErrorName(error) !== 'ResourceNotFoundException') throw this.translate(error, 'UpdateSchedule', event.runId, event.step);
      }
    }
    throw new StepSchedulerError(
      `could not schedule ${event.step} of run ${event.runId}: schedule ${input.Name} kept appearing and disappearing between CreateSchedule and UpdateSchedule`,
      event.runId,
      event.step,
      { operation: 'UpdateSchedule', transient: true },
    );
  }

  public async cancel(runId: string, step: ScheduledStep): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: scheduleName(runId, step), GroupName: this.groupName }));
    } catch (error) {
      // Gone already: it fired (and deleted itself) or was never made. Either way, cancelled.
      if (awsErrorName(error) === 'ResourceNotFoundException') return;
      throw this.translate(error, 'DeleteSchedule', runId, step);
    }
  }

  private scheduleInput(event: ScheduledEvent): CreateScheduleCommandInput {
    const detail =
      event.step === 'deescalate'
        ? { runId: event.runId, actor: SCHEDULER_ACTOR, deescalateType: 'scheduled' }
        : { runId: event.runId, actor: SCHEDULER_ACTOR };
    return {
      Name: scheduleName(event.runId, event.step),
      GroupName: this.groupName,
      ScheduleExpression: atExpression(event.at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        // EventBridge PutEvents is a templated target: the bus ARN is the target ARN.
        // @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
        Arn: this.eventBusArn,
        RoleArn: this.roleArn,
        Input: JSON.stringify(detail),
        EventBridgeParameters: { DetailType: event.step, Source: this.source },
        RetryPolicy: {
          MaximumRetryAttempts: this.maximumRetryAttempts,
          MaximumEventAgeInSeconds: this.maximumEventAgeSeconds,
        },
        ...(this.deadLetterQueueArn ? { DeadLetterConfig: { Arn: this.deadLetterQueueArn } } : {}),
      },
    };
  }

  private translate(error: unknown, operation: string, runId: string, step: ScheduledStep): StepSchedulerError {
    const transient = isTransientAwsError(error);
    return new StepSchedulerError(
      `${operation} for ${step} of run ${runId} (schedule ${scheduleName(runId, step)} in group ${this.groupName}) failed: ` +
        `${describeAwsError(error)}${transient ? ' (transient: retry later)' : ''}`,
      runId,
      step,
      { operation, transient, errorName: awsErrorName(error) },
      { cause: error },
    );
  }
}
