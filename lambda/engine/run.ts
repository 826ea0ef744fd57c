import type { JsonObject, JsonValue } from '../sdk/json.js';
import type { ApprovalTemplateStep } from '../sdk/steps.js';
import type { StepOutput } from '../sdk/step-output.js';

/**
 * Where a run is. Terminal states never change again.
 *
 * - `prompted`: a prompt was shown; nothing requested yet.
 * - `requested`: waiting for an approver (or the request timeout).
 * - `forwarded`: waiting for a backup approver.
 * - `escalating`: approved; the escalate function is being invoked (claimed, so no
 *   duplicate invokes it again).
 * - `escalated`: access granted until `expiresAt`.
 * - `deescalating`: the deescalate function is being invoked.
 * - `deescalation_failed`: the deescalate function failed; the sweep retries it.
 * - `deescalated` (terminal): access taken away.
 * - `denied` (terminal), `expired` (terminal: no decision in time), `errored` (terminal:
 *   escalate failed and the flow does not compensate), `ignored` (terminal: the
 *   `onRequest` hook dropped the request).
 */
export type RunState =
  | 'prompted'
  | 'requested'
  | 'forwarded'
  | 'escalating'
  | 'escalated'
  | 'deescalating'
  | 'deescalation_failed'
  | 'deescalated'
  | 'denied'
  | 'expired'
  | 'errored'
  | 'ignored';

export const TERMINAL_STATES: readonly RunState[] = ['deescalated', 'denied', 'expired', 'errored', 'ignored'];

/** States in which access may be granted: the sweep looks for these past their expiry. */
export const ACTIVE_STATES: readonly RunState[] = ['escalating', 'escalated', 'deescalating', 'deescalation_failed'];

/** Someone who acted on a run, as stored. */
export interface ActorRecord {
  readonly username: string;
  readonly name: string;
  /** ISO-8601 time of the action. */
  readonly at: string;
  /** True when a hook issued the event rather than a person. */
  readonly viaHook?: boolean;
}

/** The target of a run, resolved from the flow's configuration when it was requested. */
export interface RunTarget {
  readonly srn: string;
  readonly label?: string;
  readonly settings: JsonObject;
}

/** A saved step output and when it was saved. */
export interface StepOutputRecord extends StepOutput {
  /** ISO-8601 time the output was saved. */
  readonly at: string;
}

/** One line of a run's append-only history. */
export interface HistoryEntry {
  readonly at: string;
  /** The step, or an engine action such as `escalate_result`. */
  readonly step: string;
  readonly actor: string;
  /** `accepted`, `ignored`, `succeeded`, `failed`, … */
  readonly outcome: string;
  readonly eventId?: string;
  readonly detail?: Readonly<Record<string, JsonValue>>;
}

/** Why the deescalate step ran. Sym's `fields.deescalate_type`. */
export type DeescalateType = 'scheduled' | 'revoke' | 'compensate' | 'sweep';

/** A run as the store keeps it: one item, one version. */
export interface RunRecord {
  readonly runId: string;
  readonly flow: string;
  /** Incremented by every write; every write is conditional on the previous value. */
  readonly version: number;
  readonly state: RunState;
  readonly requester: ActorRecord;
  readonly target: RunTarget;
  /** Requested duration in seconds (after limits). */
  readonly duration: number;
  readonly fields: Readonly<Record<string, JsonValue>>;
  readonly actors: Readonly<Partial<Record<ApprovalTemplateStep, ActorRecord>>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When an undecided request expires. */
  readonly requestExpiresAt?: string;
  readonly escalatedAt?: string;
  /** When access must end. Set when escalation is claimed, so a crash mid-escalate is still swept. */
  readonly expiresAt?: string;
  /** Why the current or last deescalation ran. */
  readonly deescalateType?: DeescalateType;
  readonly outputs: Readonly<Partial<Record<'escalate' | 'deescalate', StepOutputRecord>>>;
  readonly history: readonly HistoryEntry[];
  /** Ids of the events already applied, so a redelivered event changes nothing. */
  readonly processedEventIds: readonly string[];
  /** Deescalate attempts made so far (the sweep backs off on this). */
  readonly deescalateAttempts: number;
  /** Message an `ignore` returned, for the actor. */
  readonly ignoredMessage?: string;
  /**
   * The invocation in flight: written before the escalate/deescalate function is invoked,
   * so a redelivered event does not invoke it again, and a crashed one can be resumed
   * once the claim is stale.
   */
  readonly claim?: RunClaim;
  /**
   * When the engine must act on the run by itself (request expiry or forwarding, or the
   * end of access); absent when nothing is due. Derived on every write; the sweep's index
   * sorts on it.
   */
  readonly dueAt?: string;
  /** A request to extend access, waiting for an approver; access continues meanwhile. */
  readonly extension?: PendingExtension;
  /** Set while the escalate function is re-invoked for an extension: a failure keeps the current grant. */
  readonly extending?: { readonly previousExpiresAt: string };
}

export interface PendingExtension {
  /** Seconds of access from the approval. */
  readonly duration: number;
  readonly requestedBy: ActorRecord;
  readonly eventId: string;
}

export interface RunClaim {
  readonly step: 'escalate' | 'deescalate';
  readonly eventId: string;
  /** ISO-8601. */
  readonly at: string;
}
