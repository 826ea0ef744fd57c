/** What other systems (chat bots, SIEM) subscribe to, one per thing that happened. */
export type LifecycleEventType =
  | 'escalation.requested'
  | 'escalation.approved'
  | 'escalation.denied'
  | 'escalation.escalated'
  | 'escalation.extended'
  | 'escalation.deescalated'
  | 'escalation.errored'
  | 'escalation.expired';

export interface LifecycleEvent {
  readonly type: LifecycleEventType;
  readonly runId: string;
  readonly flow: string;
  /** Username of who caused it (`lambda-escalation` for the engine itself). */
  readonly actor: string;
  readonly requester: string;
  readonly targetSrn: string;
  /** ISO-8601. */
  readonly at: string;
  readonly expiresAt?: string;
  readonly errors?: readonly string[];
}

/** Puts lifecycle events on the bus (or wherever local mode shows them). */
export interface LifecycleEventPublisher {
  publish(events: readonly LifecycleEvent[]): Promise<void>;
}
