import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPutEventsServer, type EventBridgeEvent, type LocalControl, type PutEventsServer } from '../../lambda/local/put-events-server.js';
import type { EventOutcome, RunSummary, RunView } from '../../lambda/local/run-view.js';

const delivered: EventBridgeEvent[] = [];
const deliveryErrors: string[] = [];
const listed: Parameters<LocalControl['listRuns']>[0][] = [];
let deliverDelayMs = 0;
let failDelivery = false;
let server: PutEventsServer;
let client: EventBridgeClient;

const RUN = { runId: 'r-1', state: 'escalated' } as unknown as RunView;
const SUMMARY: RunSummary = { runId: 'r-1', state: 'escalated', requester: 'alice', targetSrn: 'a:b:c:d:latest', duration: 60, createdAt: '2026-01-01T00:00:00.000Z' };
const OUTCOME: EventOutcome = { eventId: 'e-1', step: 'approve', source: 'lambda-escalation', receivedAt: '2026-01-01T00:00:00.000Z', status: 'done', attempts: 1, ms: 3 };

beforeAll(async () => {
  let n = 0;
  server = await startPutEventsServer({
    deliver: async (event) => {
      if (deliverDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, deliverDelayMs));
      if (failDelivery) throw new Error('dispatcher down');
      delivered.push(event);
    },
    onDeliveryError: (event, error) => deliveryErrors.push(`${event.id}: ${(error as Error).message}`),
    control: {
      getRun: async (runId) => (runId === 'r-1' ? RUN : undefined),
      listRuns: async (query) => {
        listed.push(query);
        return [SUMMARY];
      },
      getEvent: (eventId) => (eventId === 'e-1' ? OUTCOME : undefined),
    },
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    clock: () => new Date('2026-12-04T10:00:00.250Z'),
    region: 'eu-west-1',
  });
  client = new EventBridgeClient({ endpoint: server.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

beforeEach(() => {
  delivered.length = 0;
  deliveryErrors.length = 0;
  deliverDelayMs = 0;
  failDelivery = false;
});

describe('PutEvents with the real EventBridgeClient', () => {
  it('turns each entry into an EventBridge event and answers with its EventId', async () => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'lambda-escalation', DetailType: 'request', Detail: JSON.stringify({ runId: 'r-1', actor: { username: 'alice' } }), EventBusName: 'default', Resources: ['arn:aws:x'] },
          { Source: 'other', DetailType: 'approve', Detail: '{"runId":"r-1"}', Time: new Date('2026-01-02T03:04:05Z') },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([{ EventId: '00000000-0000-4000-8000-000000000001' }, { EventId: '00000000-0000-4000-8000-000000000002' }]);
    expect(delivered).toEqual([
      {
        version: '0',
        id: '00000000-0000-4000-8000-000000000001',
        'detail-type': 'request',
        source: 'lambda-escalation',
        account: '000000000000',
        time: '2026-12-04T10:00:00Z',
        region: 'eu-west-1',
        resources: ['arn:aws:x'],
        detail: { runId: 'r-1', actor: { username: 'alice' } },
      },
      expect.objectContaining({ id: '00000000-0000-4000-8000-000000000002', source: 'other', time: '2026-01-02T03:04:05Z', resources: [], detail: { runId: 'r-1' } }),
    ]);
  });

  it('gives an entry whose Detail is not a JSON object a per-entry MalformedDetail, and still delivers the rest', async () => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 's', DetailType: 'request', Detail: '{"runId":' },
          { Source: 's', DetailType: 'request', Detail: '[1,2]' },
          { Source: 's', DetailType: 'request', Detail: '"text"' },
          { Source: 's', DetailType: 'request', Detail: '{"ok":true}' },
          { Source: 's', DetailType: 'request' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(4);
    expect(result.Entries?.[0]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: expect.stringMatching(/^Detail is malformed: it is not JSON \(/) });
    expect(result.Entries?.[1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it must be a JSON object, got an array' });
    expect(result.Entries?.[2]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it must be a JSON object, got a string' });
    expect(result.Entries?.[3]).toEqual({ EventId: expect.any(String) });
    expect(result.Entries?.[4]).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter(s) Detail is/are not valid: each entry needs a non-empty Source, DetailType and Detail',
    });
    expect(delivered.map((e) => e.detail)).toEqual([{ ok: true }]);
  });

  it('refuses a request of more than 10 entries as EventBridge does, with a ValidationException', async () => {
    const entries = Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'request', Detail: '{}' }));
    await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: '1 validation error detected: Entries must hold 1 to 10 entries, got 11 entries',
      $metadata: { httpStatusCode: 400 },
    });
    expect(delivered).toEqual([]);
  });

  it('answers only once the entries are delivered', async () => {
    deliverDelayMs = 150;
    const started = Date.now();
    await client.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'request', Detail: '{}' }] }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(delivered).toHaveLength(1);
  });

  it('still answers with the EventId when delivery throws, and reports the failure', async () => {
    failDelivery = true;
    const result = await client.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'request', Detail: '{}' }] }));
    expect(result.FailedEntryCount).toBe(0);
    const id = result.Entries?.[0]?.EventId;
    expect(deliveryErrors).toEqual([`${id}: dispatcher down`]);
  });

  it('answers another operation with UnknownOperationException', async () => {
    const response = await fetch(`${server.endpoint}/`, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSEvents.ListRules', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toEqual({ __type: 'UnknownOperationException', message: 'local mode serves only AWSEvents.PutEvents, not AWSEvents.ListRules' });
  });

  it('answers a body that is not JSON with SerializationException', async () => {
    const response = await fetch(`${server.endpoint}/`, { method: 'POST', headers: { 'X-Amz-Target': 'AWSEvents.PutEvents' }, body: '{nope' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
  });
});

describe('the control API', () => {
  it('serves a run, and a clear 404 for an unknown one', async () => {
    const found = await fetch(`${server.endpoint}/runs/r-1`);
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual(RUN);
    const missing = await fetch(`${server.endpoint}/runs/r-404`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'run "r-404" not found: no run with that id in this local runtime (list shows the runs there are)' });
  });

  it('lists runs with the state filter and limit it is given, and refuses an unknown state', async () => {
    listed.length = 0;
    const all = await fetch(`${server.endpoint}/runs`);
    expect(await all.json()).toEqual({ runs: [SUMMARY] });
    await fetch(`${server.endpoint}/runs?state=escalated&limit=5`);
    expect(listed).toEqual([{ limit: 50 }, { state: 'escalated', limit: 5 }]);
    const bad = await fetch(`${server.endpoint}/runs?state=granted`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^state "granted" is not a run state: one of prompted, requested, /);
    const badLimit = await fetch(`${server.endpoint}/runs?limit=0`);
    expect(badLimit.status).toBe(400);
  });

  it('serves an event outcome, and 404 for an unknown one or path', async () => {
    expect(await (await fetch(`${server.endpoint}/events/e-1`)).json()).toEqual(OUTCOME);
    expect((await fetch(`${server.endpoint}/events/e-2`)).status).toBe(404);
    const other = await fetch(`${server.endpoint}/nothing`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ message: 'nothing at GET /nothing: the control API serves GET /runs, GET /runs/<id> and GET /events/<id>' });
  });
});

describe('stop', () => {
  it('is idempotent and frees the port', async () => {
    const other = await startPutEventsServer({ deliver: async () => undefined });
    await Promise.all([other.stop(), other.stop()]);
    const again = await startPutEventsServer({ deliver: async () => undefined, port: other.port });
    expect(again.port).toBe(other.port);
    await again.stop();
  });
});
