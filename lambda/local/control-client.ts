import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { RunState } from '../engine/run.js';
import type { JsonObject, JsonValue } from '../sdk/json.js';
import { LocalControlError } from './errors.js';
import type { EventOutcome, RunSummary, RunView } from './run-view.js';
import { LOCAL_CLIENT_CONFIG } from './loopback-server.js';

/** What `fire` sends: one step of one run. */
export interface FireInput {
  /** The `detail-type`: prompt, request, approve, deny, escalate or deescalate. */
  readonly step: string;
  readonly runId: string;
  readonly actor: { readonly username: string; readonly name?: string };
  readonly targetSrn?: string;
  /** Seconds, or text such as `30m`. */
  readonly duration?: number | string;
  readonly fields?: Readonly<Record<string, JsonValue>>;
  /** @default 'lambda-escalation' - the flow's default allowed source */
  readonly source?: string;
}

export interface FireResult {
  readonly eventId: string;
  readonly outcome: EventOutcome;
  /** The run after the event, when there is one. */
  readonly run?: RunView;
}

export interface ControlClientProps {
  /** The `serve`'s endpoint, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** How long `fire` waits for its event to be dispatched. @default 120000 */
  readonly fireTimeoutMs?: number;
}


/**
 * What the CLI's `fire`, `show` and `list` do against a running `serve`: `fire` puts one
 * event with the real `EventBridgeClient` (as any producer would), then reads what became
 * of it from the control API. The local PutEvents answers after dispatching, so that read
 * normally finds it done; it polls in case it does not.
 */
export class ControlClient {
  private readonly endpoint: string;
  private readonly fireTimeoutMs: number;

  public constructor(props: ControlClientProps) {
    this.endpoint = props.endpoint.replace(/\/+$/, '');
    this.fireTimeoutMs = props.fireTimeoutMs ?? 120_000;
  }

  public async fire(input: FireInput): Promise<FireResult> {
    const detail: JsonObject = {
      runId: input.runId,
      actor: input.actor.name !== undefined ? { username: input.actor.username, name: input.actor.name } : { username: input.actor.username },
      ...(input.targetSrn !== undefined ? { targetSrn: input.targetSrn } : {}),
      ...(input.duration !== undefined ? { duration: input.duration } : {}),
      ...(input.fields !== undefined && Object.keys(input.fields).length > 0 ? { fields: { ...input.fields } } : {}),
    };
    const client = new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: this.endpoint, maxAttempts: 1 });
    let eventId: string;
    try {
      const response = await client.send(
        new PutEventsCommand({
          Entries: [{ Source: input.source ?? 'lambda-escalation', DetailType: input.step, Detail: JSON.stringify(detail), EventBusName: 'default' }],
        }),
      );
      const entry = response.Entries?.[0];
      if (!entry?.EventId) {
        throw new LocalControlError(`the events endpoint refused the event: ${entry?.ErrorCode ?? 'no entry in the answer'}: ${entry?.ErrorMessage ?? ''}`.trim());
      }
      eventId = entry.EventId;
    } catch (error) {
      if (error instanceof LocalControlError) throw error;
      throw this.unreachable(error);
    } finally {
      client.destroy();
    }

    const deadline = Date.now() + this.fireTimeoutMs;
    let outcome = await this.get<EventOutcome>(`/events/${encodeURIComponent(eventId)}`);
    while (outcome.status === 'processing') {
      if (Date.now() > deadline) throw new LocalControlError(`event ${eventId} is still being processed after ${this.fireTimeoutMs} ms; see the serve's log, or \`show ${input.runId}\``);
      await new Promise((resolve) => setTimeout(resolve, 100));
      outcome = await this.get<EventOutcome>(`/events/${encodeURIComponent(eventId)}`);
    }
    const run = await this.findRun(input.runId);
    return { eventId, outcome, ...(run ? { run } : {}) };
  }

  /** @throws LocalControlError with status 404 when there is no such run */
  public async run(runId: string): Promise<RunView> {
    return this.get<RunView>(`/runs/${encodeURIComponent(runId)}`);
  }

  /** Runs, newest first. */
  public async runs(options: { readonly state?: RunState; readonly limit?: number } = {}): Promise<RunSummary[]> {
    const query = new URLSearchParams();
    if (options.state !== undefined) query.set('state', options.state);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    return (await this.get<{ runs: RunSummary[] }>(`/runs${suffix}`)).runs;
  }

  private async findRun(runId: string): Promise<RunView | undefined> {
    try {
      return await this.run(runId);
    } catch (error) {
      if (error instanceof LocalControlError && error.status === 404) return undefined;
      throw error;
    }
  }

  private async get<T>(pathAndQuery: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.endpoint}${pathAndQuery}`);
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new LocalControlError(`${this.endpoint} answered GET ${pathAndQuery} with HTTP ${response.status} and no JSON: is it a lambda-escalation serve?`, response.status);
    }
    if (!response.ok) {
      const message = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : text;
      throw new LocalControlError(message, response.status);
    }
    return body as T;
  }

  private unreachable(error: unknown): LocalControlError {
    const code = errorCode(error);
    const port = new URL(this.endpoint).port;
    return new LocalControlError(
      `no lambda-escalation serve answers on ${this.endpoint}${code ? ` (${code})` : ` (${String(error)})`}: start one with \`lambda-escalation serve --port ${port}\`, or pass the --port it runs on`,
      undefined,
      { cause: error },
    );
  }
}

/** The socket error code, wherever the SDK or fetch put it. */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const candidate = (e as { code?: unknown }).code;
    if (typeof candidate === 'string') return candidate;
    const nested = (e as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.length > 0) e = nested[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
