import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';
import type { RunState } from '../engine/run.js';
import type { JsonObject } from '../sdk/json.js';
import { RUN_STATES, isRunState, type EventOutcome, type RunSummary, type RunView } from './run-view.js';

/** An event as EventBridge delivers it to a rule's target. */
export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO-8601 to the second, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: JsonObject;
}

/** What the control API (`GET /runs…`, `GET /events/<id>`) reads; local mode's runtime implements it. */
export interface LocalControl {
  getRun(runId: string): Promise<RunView | undefined>;
  listRuns(options: { readonly state?: RunState; readonly limit?: number }): Promise<RunSummary[]>;
  getEvent(eventId: string): EventOutcome | undefined;
}

export interface PutEventsServerProps {
  /**
   * Receives every accepted entry as an EventBridge event. PutEvents answers once every
   * entry of the request has been delivered, so a script's next event sees what the
   * previous one did (EventBridge itself delivers later; nothing may rely on that delay).
   */
  readonly deliver: (event: EventBridgeEvent) => Promise<void>;
  /** Serves `GET /runs/<id>`, `GET /runs?state=S&limit=N` and `GET /events/<id>`. @default - no control API (404) */
  readonly control?: LocalControl;
  /** Called when `deliver` throws; the entry was accepted all the same, as on EventBridge. @default - written to stderr */
  readonly onDeliveryError?: (event: EventBridgeEvent, error: unknown) => void;
  /** @default 0 - a free port, read it from the result */
  readonly port?: number;
  /** `region` of the events. @default 'us-east-1' */
  readonly region?: string;
  /** `account` of the events. @default '000000000000' */
  readonly account?: string;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export interface PutEventsServer {
  /** `http://127.0.0.1:<port>`, for an `EventBridgeClient`'s `endpoint` and for the CLI. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening and drops open connections. Idempotent. */
  stop(): Promise<void>;
}

/** EventBridge's limits on one PutEvents request. @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const JSON_11 = 'application/x-amz-json-1.1';
const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';
const DEFAULT_LIST_LIMIT = 50;

/** One entry as the SDK sends it (awsJson1_1 writes a `Date` as epoch seconds). */
interface RequestEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly EventBusName?: unknown;
  readonly Time?: unknown;
  readonly Resources?: unknown;
}

type ResultEntry = { readonly EventId: string } | { readonly ErrorCode: string; readonly ErrorMessage: string };

/**
 * Starts a loopback server that speaks EventBridge's `PutEvents` (AWS JSON 1.1) well
 * enough for the real `EventBridgeClient` with `endpoint` pointed at it, including
 * per-entry failures (`InvalidArgument`, `MalformedDetail`) reported the way EventBridge
 * reports them, so callers' error handling is exercised unchanged. Every bus name is
 * accepted: local mode has one bus.
 *
 * On the same port it serves local mode's JSON control API, which the CLI's `show`,
 * `list` and `fire` read.
 */
export async function startPutEventsServer(props: PutEventsServerProps): Promise<PutEventsServer> {
  const region = props.region ?? 'us-east-1';
  const account = props.account ?? '000000000000';
  const newId = props.newId ?? randomUUID;
  const clock = props.clock ?? (() => new Date());
  const onDeliveryError =
    props.onDeliveryError ??
    ((event: EventBridgeEvent, error: unknown) => process.stderr.write(`delivering event ${event.id} failed: ${String(error)}\n`));

  async function putEvents(res: ServerResponse, body: Buffer): Promise<void> {
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return sendAwsError(res, 400, 'SerializationException', `the request body is not JSON: ${(error as Error).message}`);
    }
    const entries = isObject(request) ? request.Entries : undefined;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      const count = Array.isArray(entries) ? `${entries.length} entries` : 'no Entries array';
      return sendAwsError(res, 400, 'ValidationException', `1 validation error detected: Entries must hold 1 to ${MAX_ENTRIES} entries, got ${count}`);
    }

    const results: ResultEntry[] = [];
    const accepted: EventBridgeEvent[] = [];
    for (const raw of entries as unknown[]) {
      const entry: RequestEntry = isObject(raw) ? raw : {};
      const outcome = toEvent(entry);
      if ('ErrorCode' in outcome) {
        results.push(outcome);
        continue;
      }
      accepted.push(outcome);
      results.push({ EventId: outcome.id });
    }
    for (const event of accepted) {
      try {
        await props.deliver(event);
      } catch (error) {
        onDeliveryError(event, error);
      }
    }
    const failed = results.filter((r) => 'ErrorCode' in r).length;
    sendJson(res, 200, { FailedEntryCount: failed, Entries: results }, JSON_11);
  }

  function toEvent(entry: RequestEntry): EventBridgeEvent | { ErrorCode: string; ErrorMessage: string } {
    const missing = (['Source', 'DetailType', 'Detail'] as const).filter((k) => typeof entry[k] !== 'string' || entry[k] === '');
    if (missing.length > 0) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter(s) ${missing.join(', ')} is/are not valid: each entry needs a non-empty Source, DetailType and Detail` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch (error) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: `Detail is malformed: it is not JSON (${(error as Error).message})` };
    }
    if (!isObject(detail)) {
      const found = Array.isArray(detail) ? 'an array' : detail === null ? 'null' : `a ${typeof detail}`;
      return { ErrorCode: 'MalformedDetail', ErrorMessage: `Detail is malformed: it must be a JSON object, got ${found}` };
    }
    const resources = Array.isArray(entry.Resources) ? entry.Resources.filter((r): r is string => typeof r === 'string') : [];
    return {
      version: '0',
      id: newId(),
      'detail-type': entry.DetailType as string,
      source: entry.Source as string,
      account,
      time: eventTime(entry.Time, clock()),
      region,
      resources,
      detail: detail as JsonObject,
    };
  }

  async function serveControl(res: ServerResponse, url: URL): Promise<void> {
    const control = props.control;
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    if (!control) return sendJson(res, 404, { message: `no control API on this endpoint: ${url.pathname}` });
    if (parts[0] === 'runs' && parts.length === 2) {
      const run = await control.getRun(parts[1] as string);
      if (!run) return sendJson(res, 404, { message: `run ${JSON.stringify(parts[1])} not found: no run with that id in this local runtime (list shows the runs there are)` });
      return sendJson(res, 200, run);
    }
    if (parts[0] === 'runs' && parts.length === 1) {
      const state = url.searchParams.get('state') ?? undefined;
      if (state !== undefined && !isRunState(state)) {
        return sendJson(res, 400, { message: `state ${JSON.stringify(state)} is not a run state: one of ${RUN_STATES.join(', ')}` });
      }
      const limitParam = url.searchParams.get('limit');
      const limit = limitParam === null ? DEFAULT_LIST_LIMIT : Number(limitParam);
      if (!Number.isInteger(limit) || limit < 1) {
        return sendJson(res, 400, { message: `limit ${JSON.stringify(limitParam)} is not a positive whole number` });
      }
      const runs = await control.listRuns({ ...(state !== undefined ? { state } : {}), limit });
      return sendJson(res, 200, { runs });
    }
    if (parts[0] === 'events' && parts.length === 2) {
      const outcome = control.getEvent(parts[1] as string);
      if (!outcome) return sendJson(res, 404, { message: `event ${JSON.stringify(parts[1])} not found: this runtime has not received it (or it is too old to be kept)` });
      return sendJson(res, 200, outcome);
    }
    return sendJson(res, 404, { message: `nothing at GET ${url.pathname}: the control API serves GET /runs, GET /runs/<id> and GET /events/<id>` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_REQUEST_BYTES);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET') return serveControl(res, url);
    if (req.method === 'POST' && url.pathname === '/') {
      if (body === undefined) {
        return sendAwsError(res, 400, 'ValidationException', `Total size of the entries in the request is over the limit of ${MAX_REQUEST_BYTES} bytes`);
      }
      const target = headerOf(req, 'x-amz-target');
      if (target !== PUT_EVENTS_TARGET) {
        return sendAwsError(res, 400, 'UnknownOperationException', `local mode serves only ${PUT_EVENTS_TARGET}, not ${target ?? '(no X-Amz-Target header)'}`);
      }
      return putEvents(res, body);
    }
    return sendJson(res, 404, { message: `nothing at ${req.method} ${url.pathname}: POST / speaks EventBridge PutEvents, GET /runs… is the control API` });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendAwsError(res, 500, 'InternalException', `local events endpoint failed: ${String(error)}`);
      else res.destroy();
    });
  });
  const loopback = await listenOnLoopback(server, props.port);

  return {
    endpoint: loopback.endpoint,
    port: loopback.port,
    stop: () => loopback.stop(),
  };
}

/** EventBridge writes `time` to the second; an entry's own `Time` wins, as on EventBridge. */
function eventTime(value: unknown, now: Date): string {
  let at = now;
  if (typeof value === 'number' && Number.isFinite(value)) at = new Date(value * 1000);
  else if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) at = new Date(value);
  return `${at.toISOString().slice(0, 19)}Z`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendAwsError(res: ServerResponse, status: number, type: string, message: string): void {
  // awsJson1_1 clients read the code from `__type` (or `x-amzn-ErrorType`).
  res.setHeader('x-amzn-ErrorType', type);
  sendJson(res, status, { __type: type, message }, JSON_11);
}

function sendJson(res: ServerResponse, status: number, value: unknown, contentType = 'application/json'): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)), 'x-amzn-RequestId': randomUUID() });
  res.end(body);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body, or undefined when it is larger than `limit` (the rest is drained, so the answer still reaches the client). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}
