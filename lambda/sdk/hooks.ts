import type { Event } from './event.js';
import { InvalidHooksError } from './errors.js';
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

/** Every member a hooks object may have; anything else is most likely a typo. */
export const HOOK_NAMES = [
  'onPrompt',
  'afterPrompt',
  'onRequest',
  'afterRequest',
  'onApprove',
  'afterApprove',
  'onDeny',
  'afterDeny',
  'onEscalate',
  'afterEscalate',
  'onDeescalate',
  'afterDeescalate',
  'getPermissions',
] as const satisfies readonly (keyof Hooks)[];

// Fails to compile when Hooks gains a member HOOK_NAMES lacks.
type MissingHooks = Exclude<keyof Hooks, (typeof HOOK_NAMES)[number]>;
const allHooksListed: MissingHooks extends never ? true : never = true;
void allHooksListed;

const FIX = 'write `export default defineHooks({ afterEscalate(event) { … } })`';

/**
 * Checks that `value` is a hooks object: only known members, each a function. A misspelt
 * hook then fails where the module is loaded (local start, the dispatcher's cold start)
 * instead of silently never running.
 *
 * @param where names the module in the message, e.g. `hooks module /path/hooks.ts`
 * @throws InvalidHooksError
 */
export function validateHooks(value: unknown, where: string): Hooks {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'an array' : value === null || value === undefined ? String(value) : `a ${typeof value}`;
    throw new InvalidHooksError(`${where} exports ${what} as default, not an object of hooks; ${FIX}`);
  }
  for (const [name, member] of Object.entries(value)) {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) {
      throw new InvalidHooksError(`${where} has an unknown member "${name}": hooks are ${HOOK_NAMES.join(', ')}`);
    }
    if (typeof member !== 'function') {
      throw new InvalidHooksError(`${where}: "${name}" is a ${member === null ? 'null' : typeof member}, not a function`);
    }
  }
  return value as Hooks;
}

/**
 * Declares a flow's hooks: `export default defineHooks({ onRequest(event) { … } })`.
 * Typed so a misspelt member does not compile, and checked so it fails at load in
 * JavaScript too.
 */
export function defineHooks<T extends Hooks>(hooks: T & Record<Exclude<keyof T, keyof Hooks>, never>): T {
  validateHooks(hooks, 'defineHooks()');
  return hooks;
}
