import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

/** What a handler gets as its second argument: the parts of Lambda's context local code uses. */
export interface LambdaInvokeContext {
  readonly functionName: string;
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/**
 * A function served locally, written as for the Node.js Lambda runtime. Declared through
 * a method so its parameters are bivariant: a handler typed for its own event (as the
 * examples are) registers without a cast; like Lambda, the server cannot check the event.
 */
export type LambdaHandler = {
  handle(event: unknown, context: LambdaInvokeContext): unknown;
}['handle'];

/** One call that reached a handler. */
export interface RecordedInvocation {
  readonly functionName: string;
  /** The event, as parsed from the request body. */
  readonly payload: unknown;
  readonly at: Date;
}

export interface LambdaInvokeServerProps {
  /** Handlers by function name. */
  readonly functions: Readonly<Record<string, LambdaHandler>>;
  /** @default 0 - a free port, read it from the result */
  readonly port?: number;
  /**
   * How long a handler may run before the server answers as Lambda does on a timeout
   * (a `Sandbox.Timedout` function error). @default 900000 - Lambda's maximum, so the
   * caller's own timeout is normally what bites
   */
  readonly functionTimeoutMs?: number;
}

/** Fault injection, for tests of how callers cope. */
export interface LambdaInvokeFaults {
  /** The next `count` requests are refused with 429 `TooManyRequestsException`. */
  throttleNext(count: number): void;
  /** The next request waits `ms` before it is handled. */
  delayNextMs(ms: number): void;
}

export interface LambdaInvokeServer {
  /** `http://127.0.0.1:<port>`, for a `LambdaClient`'s `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  readonly invocations: ReadonlyArray<RecordedInvocation>;
  setFunction(name: string, handler: LambdaHandler): void;
  readonly faults: LambdaInvokeFaults;
  /** Stops listening, drops open connections and cancels pending timers. Idempotent. */
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * Starts a loopback server that speaks enough of the Lambda Invoke API for the real
 * `LambdaClient` (`endpoint` pointed at it): RequestResponse, Event and DryRun
 * invocations, function errors, unknown functions and throttling the way Lambda reports
 * them, so the SDK maps them to the same exceptions as in AWS.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export async function startLambdaInvokeServer(props: LambdaInvokeServerProps): Promise<LambdaInvokeServer> {
  const functionTimeoutMs = props.functionTimeoutMs ?? 900_000;
  const functions = new Map<string, LambdaHandler>(Object.entries(props.functions));
  const invocations: RecordedInvocation[] = [];
  let throttled = 0;
  let nextDelayMs = 0;

  // Every timer the server starts, so stop() leaves none behind.
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): (() => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return () => {
      clearTimeout(timer);
      timers.delete(timer);
    };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const match = req.method === 'POST' ? INVOKE_PATH.exec(new URL(req.url ?? '/', 'http://x').pathname) : null;
    if (!match) {
      return sendError(res, 404, 'UnknownOperationException', `only POST /2015-03-31/functions/{FunctionName}/invocations is served here, not ${req.method} ${req.url}`);
    }
    if (throttled > 0) {
      throttled -= 1;
      return sendError(res, 429, 'TooManyRequestsException', 'Rate Exceeded.', {
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
    }
    if (nextDelayMs > 0) {
      const ms = nextDelayMs;
      nextDelayMs = 0;
      await new Promise<void>((resolve) => later(ms, resolve));
    }

    const requested = decodeURIComponent(match[1] ?? '');
    const functionName = functionNameOf(requested);
    const handler = functions.get(functionName);
    if (!handler) {
      // ResourceNotFoundException's members are `Type` and `Message` (capital M).
      return sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${requested}`, {}, 'Message');
    }

    let event: unknown = {};
    if (body.length > 0) {
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch (error) {
        return sendError(res, 400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
      }
    }

    const invocationType = headerOf(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (invocationType === 'DryRun') return send(res, 204, {}, '');

    const awsRequestId = randomUUID();
    invocations.push({ functionName, payload: event, at: new Date() });
    const run = runHandler(handler, event, functionName, awsRequestId, functionTimeoutMs, later);
    const headers = { 'x-amzn-RequestId': awsRequestId, 'X-Amz-Executed-Version': '$LATEST' };
    // Event: Lambda queues the event and answers 202 at once; the handler runs on.
    if (invocationType === 'Event') return send(res, 202, headers, '');
    const outcome = await run;
    const failed: Record<string, string> = outcome.ok ? {} : { 'X-Amz-Function-Error': 'Unhandled' };
    return send(res, 200, { ...headers, ...failed, 'Content-Type': 'application/json' }, outcome.payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'ServiceException', `local Lambda server failed: ${String(error)}`);
      else res.destroy();
    });
  });
  const loopback = await listenOnLoopback(server, props.port);

  return {
    endpoint: loopback.endpoint,
    port: loopback.port,
    invocations,
    setFunction(name, handler) {
      functions.set(name, handler);
    },
    faults: {
      throttleNext(count) {
        throttled = count;
      },
      delayNextMs(ms) {
        nextDelayMs = ms;
      },
    },
    stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return loopback.stop();
    },
  };
}

/**
 * The function's name from what a caller may pass as `FunctionName`: a name, `name:alias`,
 * `123456789012:function:name`, or a full ARN with or without a qualifier.
 */
export function functionNameOf(functionName: string): string {
  const marker = ':function:';
  const at = functionName.indexOf(marker);
  const rest = at >= 0 ? functionName.slice(at + marker.length) : functionName;
  return rest.split(':')[0] ?? rest;
}

type HandlerOutcome = { readonly ok: boolean; readonly payload: string };

async function runHandler(
  handler: LambdaHandler,
  event: unknown,
  functionName: string,
  awsRequestId: string,
  timeoutMs: number,
  later: (ms: number, fn: () => void) => () => void,
): Promise<HandlerOutcome> {
  const deadline = Date.now() + timeoutMs;
  const context: LambdaInvokeContext = {
    functionName,
    awsRequestId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let cancelTimeout = (): void => {};
  const timedOut = new Promise<HandlerOutcome>((resolve) => {
    cancelTimeout = later(timeoutMs, () =>
      resolve({
        ok: false,
        // What Lambda answers when a function runs past its timeout.
        payload: JSON.stringify({
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${awsRequestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        }),
      }),
    );
  });
  const ran = (async (): Promise<HandlerOutcome> => {
    try {
      const result: unknown = await handler(event, context);
      // Like the Node.js runtime: `undefined` comes back as `null`.
      return { ok: true, payload: JSON.stringify(result ?? null) };
    } catch (error) {
      return { ok: false, payload: JSON.stringify(errorPayload(error)) };
    } finally {
      cancelTimeout();
    }
  })();
  return Promise.race([ran, timedOut]);
}

/** The payload the Node.js runtime sends for an unhandled error. */
function errorPayload(error: unknown): { errorType: string; errorMessage: string; stackTrace: string[] } {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      stackTrace: (error.stack ?? '').split('\n').slice(1).map((line) => line.trim()),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), stackTrace: [] };
}

function sendError(
  res: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  extra: Record<string, string> = {},
  messageKey: 'message' | 'Message' = 'message',
): void {
  // The SDK reads the error code from `x-amzn-ErrorType`; `Type: 'User'` is what Lambda sends.
  send(
    res,
    status,
    { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType, 'x-amzn-RequestId': randomUUID() },
    JSON.stringify({ Type: 'User', [messageKey]: message, ...extra }),
  );
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
