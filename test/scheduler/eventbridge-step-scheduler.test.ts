import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  InternalServerException,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import {
  EventBridgeStepScheduler,
  atExpression,
  scheduleName,
} from '../../lambda/scheduler/eventbridge-step-scheduler.js';
import { AdapterConfigurationError } from '../../lambda/adapter-errors.js';
import { StepSchedulerError } from '../../lambda/scheduler/errors.js';
import { LambdaEscalationError } from '../../lambda/sdk/errors.js';

const BUS_ARN = 'arn:aws:events:eu-west-1:111122223333:event-bus/escalations';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/scheduler';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:111122223333:scheduler-dlq';
const meta = { $metadata: {} };

const schedulerMock = mockClient(SchedulerClient);

function makeScheduler(overrides: Partial<ConstructorParameters<typeof EventBridgeStepScheduler>[0]> = {}): EventBridgeStepScheduler {
  return new EventBridgeStepScheduler({
    client: new SchedulerClient({ region: 'eu-west-1' }),
    groupName: 'flow-group',
    eventBusArn: BUS_ARN,
    roleArn: ROLE_ARN,
    deadLetterQueueArn: DLQ_ARN,
    ...overrides,
  });
}

const deescalateInput = {
  Name: 'r-123-deescalate',
  GroupName: 'flow-group',
  ScheduleExpression: 'at(2030-01-02T03:04:05)',
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' },
  ActionAfterCompletion: 'DELETE',
  Target: {
    Arn: BUS_ARN,
    RoleArn: ROLE_ARN,
    Input: '{"runId":"r-123","actor":{"username":"lambda-escalation","name":"lambda-escalation scheduler"},"deescalateType":"scheduled"}',
    EventBridgeParameters: { DetailType: 'deescalate', Source: 'lambda-escalation.scheduler' },
    RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    DeadLetterConfig: { Arn: DLQ_ARN },
  },
};

beforeEach(() => {
  schedulerMock.reset();
});

describe('scheduleName', () => {
  it('is <runId>-<step> when that is a valid name', () => {
    expect(scheduleName('r-123', 'deescalate')).toBe('r-123-deescalate');
    expect(scheduleName('a.b_c', 'request_forward')).toBe('a.b_c-request_forward');
  });

  it('hashes names with characters Scheduler does not allow, so similar run ids never collide', () => {
    const slash = scheduleName('a/b', 'deescalate');
    const underscore = scheduleName('a_b', 'deescalate');
    expect(slash).toMatch(/^a_b-deescalate-[0-9a-f]{16}$/);
    expect(underscore).toBe('a_b-deescalate');
    expect(slash).not.toBe(underscore);
  });

  it('stays within 64 characters and is deterministic for long run ids', () => {
    const runId = `run-${'x'.repeat(80)}`;
    const name = scheduleName(runId, 'request_expire');
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^[0-9a-zA-Z\-_.]+$/);
    expect(scheduleName(runId, 'request_expire')).toBe(name);
    expect(scheduleName(runId, 'request_forward')).not.toBe(name);
  });
});

describe('atExpression', () => {
  it('formats UTC and drops milliseconds', () => {
    expect(atExpression(new Date('2030-01-02T03:04:05.999Z'))).toBe('at(2030-01-02T03:04:05)');
    expect(atExpression(new Date('2030-06-30T23:59:59+02:00'))).toBe('at(2030-06-30T21:59:59)');
  });
});

describe('EventBridgeStepScheduler.schedule', () => {
  it('creates a one-time schedule that puts the deescalate event on the bus', async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule', ...meta });
    await makeScheduler().schedule({ runId: 'r-123', step: 'deescalate', at: new Date('2030-01-02T03:04:05.678Z') });
    const calls = schedulerMock.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual(deescalateInput);
    expect(schedulerMock.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('sends request_expire without deescalateType, with custom source, retries and no DLQ', async () => {
    schedulerMock.on(CreateScheduleCommand).resolves(meta);
    const scheduler = makeScheduler({
      deadLetterQueueArn: undefined,
      source: 'custom.scheduler',
      maximumRetryAttempts: 3,
      maximumEventAgeSeconds: 600,
    });
    await scheduler.schedule({ runId: 'r-9', step: 'request_expire', at: new Date('2029-12-31T23:59:00Z') });
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual({
      Name: 'r-9-request_expire',
      GroupName: 'flow-group',
      ScheduleExpression: 'at(2029-12-31T23:59:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: BUS_ARN,
        RoleArn: ROLE_ARN,
        Input: '{"runId":"r-9","actor":{"username":"lambda-escalation","name":"lambda-escalation scheduler"}}',
        EventBridgeParameters: { DetailType: 'request_expire', Source: 'custom.scheduler' },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
      },
    });
  });

  it('accepts a time in the past (Scheduler fires it right away)', async () => {
    schedulerMock.on(CreateScheduleCommand).resolves(meta);
    await makeScheduler().schedule({ runId: 'r-1', step: 'request_forward', at: new Date('2001-01-01T00:00:00Z') });
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]!.args[0].input.ScheduleExpression).toBe('at(2001-01-01T00:00:00)');
  });

  it('updates the schedule with the same input when it already exists (an extension moves the expiry)', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'Schedule r-123-deescalate already exists.', message: 'Schedule r-123-deescalate already exists.', ...meta }));
    schedulerMock.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule', ...meta });
    await makeScheduler().schedule({ runId: 'r-123', step: 'deescalate', at: new Date('2030-01-02T03:04:05Z') });
    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(1);
    const updates = schedulerMock.commandCalls(UpdateScheduleCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.args[0].input).toEqual(deescalateInput);
  });

  it('creates again when the schedule fired and deleted itself between the conflict and the update', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejectsOnce(new ConflictException({ Message: 'exists', message: 'exists', ...meta }))
      .resolves(meta);
    schedulerMock.on(UpdateScheduleCommand).rejects(new ResourceNotFoundException({ Message: 'gone', message: 'gone', ...meta }));
    await makeScheduler().schedule({ runId: 'r-123', step: 'deescalate', at: new Date('2030-01-02T03:04:05Z') });
    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(2);
    expect(schedulerMock.commandCalls(UpdateScheduleCommand)).toHaveLength(1);
  });

  it('turns throttling into a transient StepSchedulerError, never the raw SDK exception', async () => {
    const cause = new ThrottlingException({ Message: 'Rate exceeded', message: 'Rate exceeded', ...meta });
    schedulerMock.on(CreateScheduleCommand).rejects(cause);
    const error = await makeScheduler()
      .schedule({ runId: 'r-123', step: 'deescalate', at: new Date('2030-01-02T03:04:05Z') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepSchedulerError);
    expect(error).toBeInstanceOf(LambdaEscalationError);
    expect(error).toMatchObject({
      name: 'StepSchedulerError',
      runId: 'r-123',
      step: 'deescalate',
      operation: 'CreateSchedule',
      service: 'scheduler',
      transient: true,
      errorName: 'ThrottlingException',
      cause,
      message:
        'CreateSchedule for deescalate of run r-123 (schedule r-123-deescalate in group flow-group) failed: ThrottlingException: Rate exceeded (transient: retry later)',
    });
  });

  it('marks server errors transient and validation errors permanent', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new InternalServerException({ Message: 'boom', message: 'boom', ...meta }));
    await expect(
      makeScheduler().schedule({ runId: 'r-1', step: 'deescalate', at: new Date('2030-01-01T00:00:00Z') }),
    ).rejects.toMatchObject({ transient: true, errorName: 'InternalServerException' });

    schedulerMock.reset();
    schedulerMock.on(CreateScheduleCommand).rejects(new ValidationException({ Message: 'bad role', message: 'bad role', ...meta }));
    await expect(
      makeScheduler().schedule({ runId: 'r-1', step: 'deescalate', at: new Date('2030-01-01T00:00:00Z') }),
    ).rejects.toMatchObject({ name: 'StepSchedulerError', transient: false, errorName: 'ValidationException' });
  });

  it('translates a failed update too', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new ConflictException({ Message: 'exists', message: 'exists', ...meta }));
    schedulerMock.on(UpdateScheduleCommand).rejects(new ThrottlingException({ Message: 'slow down', message: 'slow down', ...meta }));
    await expect(
      makeScheduler().schedule({ runId: 'r-1', step: 'deescalate', at: new Date('2030-01-01T00:00:00Z') }),
    ).rejects.toMatchObject({ name: 'StepSchedulerError', operation: 'UpdateSchedule', transient: true });
  });

  it('refuses an invalid date without calling Scheduler', async () => {
    await expect(
      makeScheduler().schedule({ runId: 'r-1', step: 'deescalate', at: new Date('nope') }),
    ).rejects.toMatchObject({ name: 'StepSchedulerError', transient: false });
    expect(schedulerMock.calls()).toHaveLength(0);
  });
});

describe('EventBridgeStepScheduler.cancel', () => {
  it('deletes the step schedule by its deterministic name', async () => {
    schedulerMock.on(DeleteScheduleCommand).resolves(meta);
    await makeScheduler().cancel('r-123', 'deescalate');
    expect(schedulerMock.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({
      Name: 'r-123-deescalate',
      GroupName: 'flow-group',
    });
  });

  it('treats a schedule that is already gone as cancelled', async () => {
    schedulerMock.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ Message: 'not found', message: 'not found', ...meta }));
    await expect(makeScheduler().cancel('r-123', 'request_expire')).resolves.toBeUndefined();
  });

  it('translates other failures', async () => {
    schedulerMock.on(DeleteScheduleCommand).rejects(new ThrottlingException({ Message: 'slow down', message: 'slow down', ...meta }));
    await expect(makeScheduler().cancel('r-123', 'request_expire')).rejects.toMatchObject({
      name: 'StepSchedulerError',
      operation: 'DeleteSchedule',
      transient: true,
      step: 'request_expire',
    });
  });
});

describe('EventBridgeStepScheduler construction', () => {
  it('refuses client and clientConfig together', () => {
    expect(
      () =>
        new EventBridgeStepScheduler({
          client: new SchedulerClient({}),
          clientConfig: { region: 'eu-west-1' },
          groupName: 'g',
          eventBusArn: BUS_ARN,
          roleArn: ROLE_ARN,
        }),
    ).toThrow(AdapterConfigurationError);
  });

  it('builds its own client from clientConfig', async () => {
    schedulerMock.on(DeleteScheduleCommand).resolves(meta);
    const scheduler = new EventBridgeStepScheduler({
      clientConfig: { region: 'eu-west-1' },
      groupName: 'g',
      eventBusArn: BUS_ARN,
      roleArn: ROLE_ARN,
    });
    await scheduler.cancel('r-1', 'deescalate');
    expect(schedulerMock.commandCalls(DeleteScheduleCommand)).toHaveLength(1);
  });
});
