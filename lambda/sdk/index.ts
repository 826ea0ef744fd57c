// The SDK a flow's hooks and custom strategies import. Re-exports only; the engine's
// run-context binding (runInContext, currentRunContext) stays importable by path alone.
export { SRN, type SRNParts } from './srn.js';
export {
  LambdaEscalationError,
  NoRunContextError,
  StepOutputNotFoundError,
  InvalidSRNError,
  TrailingSeparatorError,
  InvalidSlugError,
  InvalidVersionError,
  MissingComponentError,
  InvalidEventRequestError,
  type SRNPart,
} from './errors.js';
// Thrown by the template factories for a bad `duration`, so hook authors can catch it.
export { InvalidDurationError } from '../engine/errors.js';
export { SymResource, type SymResourceDict } from './sym-resource.js';
export {
  Template,
  ApprovalTemplate,
  type EventFields,
  type TargetDurationOptions,
  type TargetOptions,
  type IgnoreOptions,
} from './templates.js';
export { TemplateStep, ApprovalTemplateStep, type StepName } from './steps.js';
export { EventRequest, type EventRequestPayload } from './event-request.js';
export { getStepOutput } from './run-context.js';
export {
  defineHooks,
  type Hooks,
  type Hook,
  type AfterHook,
  type HookResult,
  type Permissions,
  type PermissionsReducer,
} from './hooks.js';
export type { Event, User, Run, Flow, AccessTarget, EventPayload } from './event.js';
export type { StepOutput } from './step-output.js';
export type { JsonPrimitive, JsonValue, JsonObject } from './json.js';
export type { AccessStrategy } from './strategy.js';
