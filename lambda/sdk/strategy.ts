import type { Event } from './event.js';
import type { JsonValue } from './json.js';

/**
 * A custom access strategy: the in-process alternative to the Lambda strategy. What each
 * method returns is saved as that step's output `body`; a throw marks the step errored.
 * Inside `deescalate`, `getStepOutput(ApprovalTemplateStep.ESCALATE)` returns what
 * `escalate` returned.
 */
export interface AccessStrategy {
  escalate(targetId: string, event: Event): JsonValue | Promise<JsonValue>;
  deescalate(targetId: string, event: Event): JsonValue | Promise<JsonValue>;
}
