import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../../lambda/local/loopback-server.js';

/** A schedule as CreateSchedule/UpdateSchedule sent it. */
export interface StubSchedule {
  readonly name: string;
  readonly groupName: string;
  readonly expression: string;
  readonly body: Record<string, unknown>;
}

/** One entry PutEvents received. */
export interface StubPutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
}

export interface SchedulerEventsStub {
  /** `http://127.0.0.1:<port>`, for a SchedulerClient's and an EventBridgeClient's `endpoint`. */
  readonly endpoint: string;
  /** Schedules that exist now, by `<group>/<name>`. */
  readonly schedules: ReadonlyMap<string, StubSchedule>;
  readonly putEvents: readonly StubPutEventsEntry[];
  /** Removes a schedule as Scheduler does after it fires (`ActionAfterCompletion: DELETE`). */
  fire(groupName: string, name: string): StubSchedule | undefined;
  stop(): Promise<void>;
}

/**
 * Just enough of EventBridge Scheduler (restJson1: Create/Update/DeleteSchedule) and of
 * EventBridge PutEvents (awsJson1_1) for the real SDK clients, so the dispatcher's real
 * adapters make real HTTP calls in the benchmarks. Neither service has a local emulator.
 * Existing schedules answer CreateSchedule with 409 ConflictException like the service,
 * so an extension pays the Create-then-Update it pays in AWS.
 */
export async function startSchedulerEventsStub(): Promise<SchedulerEventsStub> {
  const schedules = new Map<string, StubSchedule>();
  const putEvents: StubPutEventsEntry[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, 500, 'InternalServerException', String(error)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const target = req.headers['x-amz-target'];
    if (target === 'AWSEvents.PutEvents') {
      const body = JSON.parse(raw) as { Entries?: StubPutEventsEntry[] };
      const entries = body.Entries ?? [];
      putEvents.push(...entries);
      return send(res, 200, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) }, 'application/x-amz-json-1.1');
    }
    const url = new URL(req.url ?? '/', 'http://stub');
    const match = /^\/schedules\/([^/]+)$/.exec(url.pathname);
    if (!match) return sendError(res, 404, 'UnknownOperationException', `${req.method} ${url.pathname} is not served by the stub`);
    const name = decodeURIComponent(match[1] as string);
    if (req.method === 'DELETE') {
      const key = `${url.searchParams.get('groupName') ?? 'default'}/${name}`;
      if (!schedules.delete(key)) return sendError(res, 404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
      return send(res, 200, {});
    }
    const body = JSON.parse(raw) as Record<string, unknown>;
    const groupName = typeof body.GroupName === 'string' ? body.GroupName : 'default';
    const key = `${groupName}/${name}`;
    const schedule: StubSchedule = { name, groupName, expression: String(body.ScheduleExpression), body };
    if (req.method === 'POST') {
      if (schedules.has(key)) return sendError(res, 409, 'ConflictException', `Schedule ${name} already exists.`);
      schedules.set(key, schedule);
    } else if (req.method === 'PUT') {
      if (!schedules.has(key)) return sendError(res, 404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
      schedules.set(key, schedule);
    } else {
      return sendError(res, 405, 'ValidationException', `${req.method} is not served by the stub`);
    }
    return send(res, 200, { ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${groupName}/${name}` });
  }

  const loopback = await listenOnLoopback(server);
  return {
    endpoint: loopback.endpoint,
    schedules,
    putEvents,
    fire(groupName, name) {
      const key = `${groupName}/${name}`;
      const schedule = schedules.get(key);
      schedules.delete(key);
      return schedule;
    },
    stop: () => loopback.stop(),
  };
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)), 'x-amzn-RequestId': randomUUID() });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ Message: message, message });
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
