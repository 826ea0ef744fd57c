import type { Event } from './event.js';
import type { EventRequest } from './event-request.js';

/** What a hook may return: nothing (carry on), or an event to fire instead. */
export type HookResult = void | undefined | EventRequest;

/** A hook: runs before (`on*`) or after (`after*`) a step. */
export type Hook = (event: Event) => HookResult | Promise<HookResult>;

/** An `after*` hook runs once the step and its output are saved; what it returns is ignored. */
export type AfterHook = (event: Event) => void | Promise<void>;

/** Who may approve or deny a run, as decided by the flow's `getPermissions` reducer. */
export interface Permissions {
  /** Usernames allowed to approve or deny. */
  readonly approvers: readonly string[];
  /** Whether the requester may approve their own request. @default false */
  readonly allowSelfApproval?: boolean;
}

export type PermissionsReducer = (event: Event) => Permissions | Promise<Permissions>;

/** The hooks a flow may define. Every member is optional. */
export interface Hooks {
  readonly onPrompt?: Hook;
  readonly afterPrompt?: AfterHook;
  readonly onRequest?: Hook;
  readonly afterRequest?: AfterHook;
  readonly onApprove?: Hook;
  readonly afterApprove?: AfterHook;
  readonly onDeny?: Hook;
  readonly afterDeny?: AfterHook;
  readonly onEscalate?: Hook;
  readonly afterEscalate?: AfterHook;
  readonly onDeescalate?: Hook;
  readonly afterDeescalate?: AfterHook;
  /** Decides who may approve or deny. Without it, anyone but the requester may. */
  readonly getPermissions?: PermissionsReducer;
}

/** Declares a flow's hooks: `export default defineHooks({ onRequest(event) { … } })`. */
export function defineHooks<T extends Hooks>(hooks: T): T {
  return hooks;
}
