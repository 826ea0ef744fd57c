import type { StepOutput } from '../sdk/step-output.js';
import type { LambdaPayload } from './lambda-payload.js';

/**
 * Invokes a user's escalate or deescalate function synchronously and turns whatever
 * happened into a {@link StepOutput}. It never throws for a failure of the function
 * itself (function error, non-empty `errors`, throttling after retries, timeout): those
 * come back as an output with `errors`, so the engine can save them and fail closed.
 */
export interface FunctionInvoker {
  invoke(functionName: string, payload: LambdaPayload): Promise<StepOutput>;
}
