import type { FlowConfig } from '../config/flow-config.js';
import type { AccessTarget, Event, Flow, User } from '../sdk/event.js';
import { SRN } from '../sdk/srn.js';
import type { ApprovalTemplateStep } from '../sdk/steps.js';
import type { JsonValue } from '../sdk/json.js';
import type { ActorRecord, RunRecord, RunTarget } from './run.js';
import type { StepActor } from './step-input.js';

/**
 * The Sym-shaped views of a stored run that hooks and the user's Lambdas see. Pure: the
 * same run always gives the same view.
 */

export function flowSrn(flow: FlowConfig): string {
  return `${flow.org}:flow:${flow.name}:1.0.0`;
}

export function runSrn(flow: FlowConfig, runId: string): string {
  return `${flow.org}:run:${flow.name}:1.0.0:${runId}`;
}

/** A username as an SRN slug: Sym's user SRNs carry an id, ours the readable login. */
export function userSrn(flow: FlowConfig, username: string): string {
  const slug = username.replace(/[^a-zA-Z0-9-_]/g, '-');
  return `${flow.org}:user:normal:${slug}:latest`;
}

export function toUser(flow: FlowConfig, actor: ActorRecord | StepActor): User {
  return { username: actor.username, name: actor.name, srn: userSrn(flow, actor.username) };
}

/** The target with the parts of its SRN that Sym's payload spells out. */
export function toAccessTarget(target: RunTarget): AccessTarget {
  const srn = SRN.parse(target.srn);
  return {
    srn: target.srn,
    name: srn.slug,
    type: srn.type ?? '',
    label: target.label ?? srn.slug,
    settings: target.settings,
    id: srn.identifier ?? srn.slug,
  };
}

export function toFlow(flow: FlowConfig): Flow {
  return { name: flow.name, srn: flowSrn(flow), vars: flow.vars };
}

export interface HookEventInput {
  readonly run: RunRecord;
  readonly step: ApprovalTemplateStep;
  readonly actor: StepActor;
  readonly fields: Readonly<Record<string, JsonValue>>;
  readonly now: Date;
}

/** The `event` a hook receives. */
export function toHookEvent(flow: FlowConfig, input: HookEventInput): Event {
  const { run } = input;
  const actors: Partial<Record<ApprovalTemplateStep, User>> = {};
  for (const [step, actor] of Object.entries(run.actors) as [ApprovalTemplateStep, ActorRecord][]) {
    actors[step] = toUser(flow, actor);
  }
  return {
    name: input.step,
    user: toUser(flow, input.actor),
    payload: {
      fields: { ...run.fields, ...input.fields },
      timestamp: input.now,
      srn: `sym:event-spec:approval:1.0.0:${input.step}`,
    },
    run: {
      id: run.runId,
      srn: runSrn(flow, run.runId),
      actors,
      target: toAccessTarget(run.target),
      duration: run.duration,
      ...(run.expiresAt ? { expiresAt: new Date(run.expiresAt) } : {}),
    },
    flow: toFlow(flow),
    getActor: (step) => actors[step],
  };
}
