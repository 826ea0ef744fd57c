import type { JsonValue } from './json.js';

/**
 * The whole saved response of one step: what the user's Lambda (or custom strategy)
 * returned as `body`, and any errors the step ended with. `errors` is empty on success.
 */
export interface StepOutput {
  readonly body: JsonValue;
  readonly errors: readonly string[];
}
