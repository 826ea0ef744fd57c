import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeClient, InternalException, PutEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-eventbridge';
import { EventBridgeLifecyclePublisher } from '../../lambda/events/eventbridge-lifecycle-publisher.js';
import type { LifecycleEvent, LifecycleEventType } from '../../lambda/events/lifecycle-event.js';
import { AdapterConfigurationError } from '../../lambda/adapter-errors.js';
import { LifecyclePublishError } from '../../lambda/events/errors.js';

const eventBridgeMock = mockClient(EventBridgeClient);
const meta = { $metadata: {} };

function lifecycleEvent(type: LifecycleEventType, runId = 'r-1'): LifecycleEvent {
  return {
    type,
    runId,
    flow: 'prod-access',
    actor: 'alice@example.com',
    requester: 'bob@example.com',
    targetSrn: 'acme:access_target:aws_lambda_function:prod-db:latest',
    at: '2030-01-02T03:04:05.000Z',
  };
}

const sleeps: number[] = [];
function makePublisher(overrides: Partial<ConstructorParameters<typeof EventBridgeLifecyclePublisher>[0]> = {}): EventBridgeLifecyclePublisher {
  return new EventBridgeLifecyclePublisher({
    client: new EventBridgeClient({ region: 'eu-west-1' }),
    eventBusName: 'escalations',
    sleep: async (millis) => {
      sleeps.push(millis);
    },
    ...overrides,
  });
}

beforeEach(() => {
  eventBridgeMock.reset();
  sleeps.length = 0;
});

describe('EventBridgeLifecyclePublisher', () => {
  it('puts each event with detail-type = its type and detail = the event', async () => {
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }, { EventId: 'e2' }], ...meta });
    const approved = lifecycleEvent('escalation.approved');
    const escalated = { ...lifecycleEvent('escalation.escalated'), expiresAt: '2030-01-02T04:04:05.000Z' };
    await makePublisher().publish([approved, escalated]);
    const calls = eventBridgeMock.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: 'escalations',
          Source: 'lambda-escalation.lifecycle',
          DetailType: 'escalation.approved',
          Detail: JSON.stringify(approved),
          Time: new Date('2030-01-02T03:04:05.000Z'),
        },
        {
          EventBusName: 'escalations',
          Source: 'lambda-escalation.lifecycle',
          DetailType: 'escalation.escalated',
          Detail: JSON.stringify(escalated),
          Time: new Date('2030-01-02T03:04:05.000Z'),
        },
      ],
    });
  });

  it('does nothing for no events', async () => {
    await makePublisher().publish([]);
    expect(eventBridgeMock.calls()).toHaveLength(0);
  });

  it('sends at most 10 entries per call', async () => {
    eventBridgeMock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const events = Array.from({ length: 23 }, (_, i) => lifecycleEvent('escalation.requested', `r-${i}`));
    await makePublisher({ source: 'custom.lifecycle' }).publish(events);
    const calls = eventBridgeMock.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[2]!.args[0].input.Entries?.[2]).toMatchObject({ Source: 'custom.lifecycle', Detail: JSON.stringify(events[22]) });
  });

  it('retries only the entries EventBridge refused, with backoff', async () => {
    const events = [lifecycleEvent('escalation.requested'), lifecycleEvent('escalation.approved'), lifecycleEvent('escalation.escalated')];
    eventBridgeMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' },
          { EventId: 'e2' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'e1' }, { ErrorCode: 'ThrottlingException' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e3' }] });
    await makePublisher().publish(events);
    const calls = eventBridgeMock.commandCalls(PutEventsCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.map((entry) => entry.DetailType))).toEqual([
      ['escalation.requested', 'escalation.approved', 'escalation.escalated'],
      ['escalation.requested', 'escalation.escalated'],
      ['escalation.escalated'],
    ]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('throws a LifecyclePublishError naming the types that never got through', async () => {
    eventBridgeMock.on(PutEventsCommand).callsFake((input: { Entries: { DetailType: string }[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((entry) =>
        entry.DetailType === 'escalation.denied' ? { ErrorCode: 'InternalFailure', ErrorMessage: 'no' } : { EventId: 'ok' },
      ),
    }));
    const error = await makePublisher({ maxRetries: 2, retryBaseDelayMillis: 10 })
      .publish([lifecycleEvent('escalation.requested'), lifecycleEvent('escalation.denied', 'r-2')])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecyclePublishError);
    const publishError = error as LifecyclePublishError;
    expect(publishError.message).toBe(
      '1 of 2 lifecycle event(s) could not be put on bus escalations after 2 retries: escalation.denied (run r-2: InternalFailure)',
    );
    expect(publishError.failedTypes).toEqual(['escalation.denied']);
    expect(publishError.failedEntries).toEqual([{ type: 'escalation.denied', runId: 'r-2', errorCode: 'InternalFailure', errorMessage: 'no' }]);
    expect(publishError.transient).toBe(true);
    expect(eventBridgeMock.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(sleeps).toEqual([10, 20]);
  });

  it('reports a permanent entry error as not transient', async () => {
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail' }] });
    await expect(makePublisher({ maxRetries: 0 }).publish([lifecycleEvent('escalation.errored')])).rejects.toMatchObject({
      name: 'LifecyclePublishError',
      transient: false,
      failedTypes: ['escalation.errored'],
    });
  });

  it('translates a failed call, listing the batches never sent', async () => {
    eventBridgeMock.on(PutEventsCommand).rejects(new ResourceNotFoundException({ message: 'Event bus escalations does not exist.', ...meta }));
    const events = Array.from({ length: 12 }, (_, i) => lifecycleEvent(i === 11 ? 'escalation.expired' : 'escalation.requested', `r-${i}`));
    const error = (await makePublisher().publish(events).catch((e: unknown) => e)) as LifecyclePublishError;
    expect(error).toBeInstanceOf(LifecyclePublishError);
    expect(error.transient).toBe(false);
    expect(error.errorName).toBe('ResourceNotFoundException');
    expect(error.cause).toBeInstanceOf(ResourceNotFoundException);
    expect(error.failedEntries).toHaveLength(12);
    expect(error.failedTypes).toEqual(['escalation.requested', 'escalation.expired']);
    expect(error.message).toMatch(/ResourceNotFoundException: Event bus escalations does not exist\.; 2 later event\(s\) were not sent$/);
    expect(eventBridgeMock.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('marks a 5xx call failure transient', async () => {
    eventBridgeMock.on(PutEventsCommand).rejects(new InternalException({ message: 'oops', ...meta }));
    await expect(makePublisher().publish([lifecycleEvent('escalation.requested')])).rejects.toMatchObject({ transient: true });
  });

  it('refuses client and clientConfig together', () => {
    expect(
      () => new EventBridgeLifecyclePublisher({ client: new EventBridgeClient({}), clientConfig: {}, eventBusName: 'b' }),
    ).toThrow(AdapterConfigurationError);
  });
});
