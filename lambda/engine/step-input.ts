import type { JsonValue } from '../sdk/json.js';
import type { ApprovalTemplateStep } from '../sdk/steps.js';
import type { DeescalateType } from './run.js';

/** Who acts, as an event names them. */
export interface StepActor {
  readonly username: string;
  readonly name: string;
}

/** The engine itself, when the scheduler or the sweep fires a step. */
export const ENGINE_ACTOR: StepActor = { username: 'lambda-escalation', name: 'lambda-escalation' };

/**
 * Where a step came from. Permissions are checked for `event` (a person, through the bus);
 * a `hook` is the flow's own trusted code; `engine` is the scheduler or the sweep.
 */
export type StepOrigin = 'event' | 'hook' | 'engine';

/** One step to apply to a run: a validated event, a hook's replacement, or the engine's own. */
export interface StepInput {
  /** Identifies the delivery: the same id applied twice changes nothing the second time. */
  readonly eventId: string;
  readonly step: ApprovalTemplateStep;
  readonly runId: string;
  readonly actor: StepActor;
  readonly origin: StepOrigin;
  readonly targetSrn?: string;
  /** Already parsed to seconds. */
  readonly durationSeconds?: number;
  readonly fields: Readonly<Record<string, JsonValue>>;
  /** Deescalate only: why. @default 'revoke' from a person, 'scheduled' from the scheduler */
  readonly deescalateType?: DeescalateType;
  /** The time the event says it happened (EventBridge `time`), ISO-8601. */
  readonly time?: string;
}
