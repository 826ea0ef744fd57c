import type { JsonObject, JsonValue } from '../sdk/json.js';
import type { StepOutput } from '../sdk/step-output.js';

/**
 * The event a user's escalate/deescalate Lambda receives: the shape Sym's AWS Lambda
 * strategy sends (schema_version 6, see test/events/sym/), plus `outputs.escalate` on
 * deescalate, so a Lambda written for Sym runs unchanged.
 */
export interface LambdaPayloadActor {
  /** User SRN. */
  readonly user: string;
  readonly name: string;
  readonly username: string;
  readonly identity: { readonly service: string; readonly external_id: string; readonly email?: string };
}

export interface LambdaPayloadTarget {
  readonly name: string;
  readonly srn: string;
  readonly type: string;
  readonly label: string;
  readonly settings: JsonObject;
}

export interface LambdaPayload {
  readonly id: string;
  readonly type: 'event';
  readonly meta: { readonly schema_version: 6 };
  readonly state: { readonly status: 'processing'; readonly errors: readonly string[] };
  readonly event: {
    readonly srn: string;
    readonly type: 'escalate' | 'deescalate';
    readonly template: 'sym:template:approval:1.0.0';
    readonly timestamp: string;
    readonly channel: string;
  };
  readonly run: {
    readonly srn: string;
    readonly parent: string | null;
    readonly flow: string;
    readonly actors: Readonly<Record<string, LambdaPayloadActor>>;
  };
  readonly actor: LambdaPayloadActor;
  readonly fields: {
    readonly reason?: JsonValue;
    readonly duration?: number;
    readonly deescalate_type?: string;
    readonly target: LambdaPayloadTarget;
    readonly target_id: string;
    readonly [field: string]: JsonValue | LambdaPayloadTarget | undefined;
  };
  /** Deescalate only: what escalate returned. */
  readonly outputs?: { readonly escalate?: StepOutput };
}
