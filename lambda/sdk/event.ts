import type { JsonObject, JsonValue } from './json.js';
import type { ApprovalTemplateStep } from './steps.js';

/** A person (or the engine itself) acting on a run. Mirrors Sym's `User`. */
export interface User {
  /** Unique login, usually an email address. */
  readonly username: string;
  /** Display name; empty when unknown. */
  readonly name: string;
  /** The user's SRN, `<org>:user:<slug>:latest`, derived from the username. */
  readonly srn: string;
}

/** An access target the flow knows about (from the flow's configuration). */
export interface AccessTarget {
  /** SRN of the target, e.g. `acme:access_target:aws_lambda_function:prod-db:latest`. */
  readonly srn: string;
  /** The SRN's slug. */
  readonly name: string;
  /** The SRN's type part, e.g. `aws_lambda_function`. */
  readonly type: string;
  /** Human label; defaults to the slug. */
  readonly label: string;
  /** Free-form settings handed to the escalate/deescalate Lambdas. */
  readonly settings: JsonObject;
  /** The SRN's identifier part when present, else the slug (Sym's `target_id`). */
  readonly id: string;
}

/** The payload of the event being processed. Mirrors Sym's `Event.payload`. */
export interface EventPayload {
  readonly fields: Readonly<Record<string, JsonValue>>;
  readonly timestamp: Date;
  /** `sym:event-spec:approval:1.0.0:<step>`. */
  readonly srn: string;
}

/** The run the event belongs to. Mirrors Sym's `Run`. */
export interface Run {
  readonly id: string;
  readonly srn: string;
  /** Who acted at each step so far. */
  readonly actors: Readonly<Partial<Record<ApprovalTemplateStep, User>>>;
  /** The requested target. */
  readonly target: AccessTarget;
  /** The requested duration, seconds. */
  readonly duration: number;
  /** When access ends, once escalated. */
  readonly expiresAt?: Date;
}

/** The flow the run belongs to. */
export interface Flow {
  readonly name: string;
  readonly srn: string;
  /** Free-form variables from the flow's configuration. */
  readonly vars: Readonly<Record<string, string>>;
}

/** What a hook receives. Mirrors Sym's `sym.sdk.events.Event`. */
export interface Event {
  /** The step being processed. */
  readonly name: ApprovalTemplateStep;
  /** The acting user. */
  readonly user: User;
  readonly payload: EventPayload;
  readonly run: Run;
  readonly flow: Flow;
  /** Who acted at `step` in this run, if anyone has. */
  getActor(step: ApprovalTemplateStep): User | undefined;
}
