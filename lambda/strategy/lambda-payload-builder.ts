import type { AccessTarget, User } from '../sdk/event.js';
import type { JsonValue } from '../sdk/json.js';
import type { StepOutput } from '../sdk/step-output.js';
import type { LambdaPayload, LambdaPayloadActor, LambdaPayloadTarget } from './lambda-payload.js';

/** Everything {@link buildLambdaPayload} needs, already resolved by the engine. */
export interface LambdaPayloadInput {
  /** The event's id (a uuid), given so the function stays pure. */
  readonly id: string;
  readonly step: 'escalate' | 'deescalate';
  /** When the step happened. */
  readonly timestamp: Date;
  /** Where the event came from, Sym's `event.channel`. @default 'internal' */
  readonly channel?: string;
  readonly flowSrn: string;
  readonly runSrn: string;
  /** Who acted at each step so far, by step name. */
  readonly actors: Readonly<Partial<Record<string, User>>>;
  /** The user acting at this step (on escalate: the approver). */
  readonly actor: User;
  readonly target: AccessTarget;
  /** Granted duration, seconds. */
  readonly duration: number;
  /**
   * The run's user fields (e.g. `reason`). Passed through as `fields`, except the names
   * the payload owns (`target`, `target_id`, `duration`, `deescalate_type`).
   */
  readonly fields: Readonly<Record<string, JsonValue>>;
  /** Deescalate only: why it runs, Sym's `fields.deescalate_type`. @default 'scheduled' */
  readonly deescalateType?: string;
  /** Deescalate only: what escalate returned, sent as `outputs.escalate`. */
  readonly escalateOutput?: StepOutput;
  /**
   * `identity.external_id` of every actor: which installation vouches for the identity
   * (Sym puts its workspace there, e.g. `cloud` or a Slack team id).
   * @default 'local'
   */
  readonly identityExternalId?: string;
}

/** `identity.service` of every actor: the identities are ours, not Slack's or Sym's. */
export const IDENTITY_SERVICE = 'lambda-escalation';

/** Field names the payload sets itself; user fields of these names are dropped. */
const RESERVED_FIELDS: ReadonlySet<string> = new Set(['target', 'target_id', 'duration', 'deescalate_type']);

/**
 * Builds the event a user's escalate/deescalate Lambda receives: Sym's schema_version 6
 * payload (see the Sym fixtures in test/events/sym/), plus `outputs.escalate` on deescalate.
 *
 * Known differences from what Sym sends, so a Sym Lambda knows what to expect:
 * - `run.parent` is `null`: runs here have no parent flow-selection run.
 * - `identity` is `{ service: 'lambda-escalation', external_id, email? }`, the shape of
 *   Sym's own (`service: 'sym'`) identities; there is no Slack `user_id`. `email` is set
 *   when the username is an email address.
 * - On deescalate `fields` also carries `reason` (when the run has one) and `duration`.
 *
 * `event.timestamp` is written as Sym writes it: UTC, ISO-8601 without an offset, with
 * microseconds (`2022-05-10T14:47:29.442000`), so Python's `datetime.fromisoformat`
 * (which rejects a `Z` before 3.11) parses it. JavaScript's `new Date()` reads such a
 * string as local time: append `Z` (the Lambda runtime runs in UTC anyway).
 */
export function buildLambdaPayload(input: LambdaPayloadInput): LambdaPayload {
  const externalId = input.identityExternalId ?? 'local';
  const channel = input.channel ?? 'internal';

  const actors: Record<string, LambdaPayloadActor> = {};
  for (const [step, user] of Object.entries(input.actors)) {
    if (user) actors[step] = toPayloadActor(user, externalId);
  }

  const userFields: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(input.fields)) {
    if (!RESERVED_FIELDS.has(name)) userFields[name] = value;
  }

  const target: LambdaPayloadTarget = {
    name: input.target.name,
    srn: input.target.srn,
    type: input.target.type,
    label: input.target.label,
    settings: input.target.settings,
  };

  const payload: LambdaPayload = {
    id: input.id,
    type: 'event',
    meta: { schema_version: 6 },
    state: { status: 'processing', errors: [] },
    event: {
      srn: `sym:event-spec:approval:1.0.0:${input.step}`,
      type: input.step,
      template: 'sym:template:approval:1.0.0',
      timestamp: formatSymTimestamp(input.timestamp),
      channel,
    },
    run: { srn: input.runSrn, parent: null, flow: input.flowSrn, actors },
    actor: toPayloadActor(input.actor, externalId),
    fields: {
      ...userFields,
      duration: input.duration,
      target,
      target_id: input.target.id,
      ...(input.step === 'deescalate' ? { deescalate_type: input.deescalateType ?? 'scheduled' } : {}),
    },
  };
  if (input.step !== 'deescalate') return payload;

  // Always present on deescalate, so `event.outputs.escalate` is `undefined` rather than
  // a TypeError when escalate saved nothing.
  const outputs = input.escalateOutput
    ? { escalate: { body: input.escalateOutput.body, errors: [...input.escalateOutput.errors] } }
    : {};
  return { ...payload, outputs };
}

/** `2022-05-10T14:47:29.442000`: UTC, no offset, six fractional digits, like Sym. */
export function formatSymTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError('timestamp is an invalid Date: pass the time the step happened');
  }
  return `${date.toISOString().slice(0, -1)}000`;
}

function toPayloadActor(user: User, externalId: string): LambdaPayloadActor {
  return {
    user: user.srn,
    name: user.name,
    username: user.username,
    identity: {
      service: IDENTITY_SERVICE,
      external_id: externalId,
      ...(user.username.includes('@') ? { email: user.username } : {}),
    },
  };
}
