import { parseDuration } from '../engine/duration.js';
import { InvalidEventRequestError } from './errors.js';
import { EventRequest, type EventRequestPayload } from './event-request.js';
import type { JsonValue } from './json.js';
import { SRN } from './srn.js';
import { ApprovalTemplateStep, TemplateStep, type StepName } from './steps.js';
import { SymResource } from './sym-resource.js';

/** Extra fields an event carries, passed on as its `fields`. `undefined` values are dropped. */
export interface EventFields {
  readonly [field: string]: JsonValue | undefined;
}

/** Arguments of {@link ApprovalTemplate.request} and {@link ApprovalTemplate.escalate}. */
export interface TargetDurationOptions extends EventFields {
  /**
   * SRN of the target to act on.
   * @default - the run's requested target
   */
  readonly targetSrn?: string;
  /**
   * Whole seconds, or `30s`/`15m`/`1h`/`2d`; the request carries it as seconds.
   * @default - the run's requested duration
   */
  readonly duration?: number | string;
}

/** Arguments of {@link ApprovalTemplate.deescalate}. */
export interface TargetOptions extends EventFields {
  /**
   * SRN of the target to take access away from.
   * @default - the run's requested target
   */
  readonly targetSrn?: string;
}

/** Arguments of {@link Template.ignore}. */
export interface IgnoreOptions extends EventFields {
  /** Why the event is dropped; told to the actor. Must not be blank. */
  readonly message: string;
}

/** A workflow template. Mirrors Sym's `sym.sdk.templates.Template`. */
export class Template extends SymResource {
  /**
   * Drops the event being processed and tells the actor why.
   *
   * @throws InvalidEventRequestError when `message` is missing or blank
   */
  public static ignore(options: IgnoreOptions): EventRequest {
    const { message, ...fields } = options ?? ({} as Partial<IgnoreOptions>);
    if (typeof message !== 'string' || message.trim() === '') {
      throw new InvalidEventRequestError(
        TemplateStep.IGNORE,
        'message',
        `must be a non-empty string telling the actor why the event is dropped, got ${JSON.stringify(message) ?? 'undefined'}`,
      );
    }
    return eventRequest(TemplateStep.IGNORE, { message }, fields);
  }
}

/**
 * The approval template, `sym:template:approval:1.0.0`: prompt → request → approve|deny
 * → escalate → deescalate. Its static methods build the {@link EventRequest} an `on*` hook
 * returns to fire another step instead of the one being processed; arguments are
 * validated when the request is built, not when the engine acts on it.
 *
 * The template's own SRN is {@link ApprovalTemplate.srn}; `new ApprovalTemplate()` is the
 * template as a {@link SymResource}.
 */
export class ApprovalTemplate extends Template {
  public static readonly srn: SRN = SRN.parse('sym:template:approval:1.0.0');

  public constructor() {
    super(ApprovalTemplate.srn);
  }

  /** Fires `prompt`: shows the request form. */
  public static prompt(fields: EventFields = {}): EventRequest {
    return eventRequest(ApprovalTemplateStep.PROMPT, {}, fields);
  }

  /**
   * Fires `request`.
   *
   * @throws InvalidSRNError when `targetSrn` is not a valid SRN
   * @throws InvalidDurationError when `duration` is not a valid duration
   */
  public static request(options: TargetDurationOptions = {}): EventRequest {
    const { targetSrn, duration, ...fields } = options;
    return eventRequest(ApprovalTemplateStep.REQUEST, { targetSrn, duration }, fields);
  }

  /** Fires `approve`, e.g. from `onRequest` to auto-approve. */
  public static approve(fields: EventFields = {}): EventRequest {
    return eventRequest(ApprovalTemplateStep.APPROVE, {}, fields);
  }

  /** Fires `deny`. */
  public static deny(fields: EventFields = {}): EventRequest {
    return eventRequest(ApprovalTemplateStep.DENY, {}, fields);
  }

  /**
   * Fires `escalate`: grants access.
   *
   * @throws InvalidSRNError when `targetSrn` is not a valid SRN
   * @throws InvalidDurationError when `duration` is not a valid duration
   */
  public static escalate(options: TargetDurationOptions = {}): EventRequest {
    const { targetSrn, duration, ...fields } = options;
    return eventRequest(ApprovalTemplateStep.ESCALATE, { targetSrn, duration }, fields);
  }

  /**
   * Fires `deescalate`: takes access away.
   *
   * @throws InvalidSRNError when `targetSrn` is not a valid SRN
   */
  public static deescalate(options: TargetOptions = {}): EventRequest {
    const { targetSrn, ...fields } = options;
    return eventRequest(ApprovalTemplateStep.DEESCALATE, { targetSrn }, fields);
  }
}

interface KnownArguments {
  readonly targetSrn?: string | undefined;
  readonly duration?: number | string | undefined;
  readonly message?: string;
}

function eventRequest(step: StepName, known: KnownArguments, fields: EventFields): EventRequest {
  // Absent arguments are left out rather than set to undefined, so the engine's "default
  // to the run's" check is a plain `in`/`??` and the payload survives a JSON round trip.
  const payload: EventRequestPayload = {
    ...(known.targetSrn === undefined ? {} : { targetSrn: SRN.parse(known.targetSrn).toString() }),
    ...(known.duration === undefined ? {} : { duration: parseDuration(known.duration) }),
    ...(known.message === undefined ? {} : { message: known.message }),
    fields: definedFields(fields),
  };
  return new EventRequest(step, payload);
}

function definedFields(fields: EventFields): Record<string, JsonValue> {
  const result: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) result[key] = value;
  }
  return result;
}
