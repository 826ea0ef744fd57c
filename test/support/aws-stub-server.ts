import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stub answered, as the SDK sent it. */
export interface StubbedRequest {
  readonly service: 'scheduler' | 'eventbridge';
  readonly operation: string;
  /** The schedule name, for Scheduler calls. */
  readonly name?: string;
  readonly body: Record<string, unknown>;
}

export interface AwsStubServer {
  /** `http://127.0.0.1:<port>`: both `AWS_ENDPOINT_URL_SCHEDULER` and `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  readonly endpoint: string;
  readonly requests: readonly StubbedRequest[];
  stop(): Promise<void>;
}

/**
 * EventBridge Scheduler and EventBridge PutEvents have no local emulator, so this answers
 * them on loopback with what AWS answers on success, and records the exact requests for
 * the test to assert. Scheduler speaks REST-JSON (`POST|PUT|DELETE /schedules/{Name}`);
 * PutEvents speaks AWS JSON 1.1 (`X-Amz-Target: AWSEvents.PutEvents`).
 */
export async function startAwsStubServer(): Promise<AwsStubServer> {
  const requests: StubbedRequest[] = [];
  const server = createServer((req, res) => {
    void read(req).then((text) => answer(req, res, text ? (JSON.parse(text) as Record<string, unknown>) : {}, requests));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, requests: StubbedRequest[]): void {
  const target = req.headers['x-amz-target'];
  if (target === 'AWSEvents.PutEvents') {
    requests.push({ service: 'eventbridge', operation: 'PutEvents', body });
    const entries = (body.Entries as unknown[] | undefined) ?? [];
    return json(res, 200, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) }, 'application/x-amz-json-1.1');
  }
  const match = /^\/schedules\/([^/?]+)/.exec(req.url ?? '');
  if (match) {
    const name = decodeURIComponent(match[1]!);
    const operation = req.method === 'POST' ? 'CreateSchedule' : req.method === 'PUT' ? 'UpdateSchedule' : req.method === 'DELETE' ? 'DeleteSchedule' : 'GetSchedule';
    requests.push({ service: 'scheduler', operation, name, body });
    return json(res, 200, operation === 'DeleteSchedule' ? {} : { ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/stub/${name}` });
  }
  json(res, 404, { message: `the stub does not answer ${req.method} ${req.url}` });
}

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
