import { z } from 'zod';
import type { FlowConfig } from '../config/flow-config.js';
import { jsonObjectSchema } from '../config/json-schema.js';
import { parseDuration } from '../engine/duration.js';
import { RefusalError } from '../engine/errors.js';
import { ENGINE_ACTOR, type StepInput } from '../engine/step-input.js';
import { InvalidSRNError } from '../sdk/errors.js';
import { SRN } from '../sdk/srn.js';
import { APPROVAL_STEPS, type ApprovalTemplateStep } from '../sdk/steps.js';

/** The `source` the engine's own schedules put their events on the bus with. */
import { SCHEDULER_EVENT_SOURCE } from '../scheduler/eventbridge-step-scheduler.js';

/** Steps a person may send; the rest are the engine's own. */
const INGRESS_STEPS: readonly ApprovalTemplateStep[] = ['prompt', 'request', 'approve', 'deny', 'escalate', 'deescalate'];
const SCHEDULED_STEPS: readonly ApprovalTemplateStep[] = ['deescalate', 'request_expire', 'request_forward'];

/** Fields beyond this size are refused: they are copied into every Lambda payload and the run item. */
const MAX_FIELDS_BYTES = 16_384;
const ID_PATTERN = /^[a-zA-Z0-9-_]{1,128}$/;

const actorSchema = z.object({
  username: z.string().trim().min(1, 'must be a non-empty string').max(256),
  name: z.string().max(256).optional(),
});

const detailSchema = z.object({
  runId: z.string().regex(ID_PATTERN, 'must be 1-128 characters of a-z, A-Z, 0-9, - and _').optional(),
  actor: actorSchema,
  targetSrn: z.string().min(1).max(1024).optional(),
  duration: z.union([z.number(), z.string()]).optional(),
  fields: jsonObjectSchema.optional(),
  deescalateType: z.enum(['scheduled', 'sweep']).optional(),
});

const envelopeSchema = z.object({
  id: z.string().min(1).max(256),
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  time: z.string().optional(),
  detail: z.unknown(),
});

/** EventBridge's native scheduled event, which the sweep rule delivers. */
export function isSweepEvent(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event';
}

/**
 * Validates an EventBridge event for `flow` and turns it into the engine's input. Throws a
 * {@link RefusalError} that says which part is wrong and what is accepted.
 */
export function parseIngressEvent(event: unknown, flow: FlowConfig): StepInput {
  const envelope = envelopeSchema.safeParse(event);
  if (!envelope.success) throw malformed('the event', envelope.error, 'an EventBridge event with id, source, detail-type and detail');
  const { id, source } = envelope.data;
  const detailType = envelope.data['detail-type'];
  const fromScheduler = source === SCHEDULER_EVENT_SOURCE;
  if (!fromScheduler && !flow.allowedSources.includes(source)) {
    throw new RefusalError(
      `source ${JSON.stringify(source)} is not allowed by flow ${flow.name}: allowed are ${flow.allowedSources.join(', ')}`,
      'source_not_allowed',
    );
  }
  const steps = fromScheduler ? SCHEDULED_STEPS : INGRESS_STEPS;
  if (!(steps as readonly string[]).includes(detailType)) {
    const known = (APPROVAL_STEPS as readonly string[]).includes(detailType);
    throw new RefusalError(
      `detail-type ${JSON.stringify(detailType)} ${known ? `is not accepted from source ${source}` : 'is not a step'}: accepted are ${steps.join(', ')}`,
      'malformed_event',
    );
  }
  const step = detailType as ApprovalTemplateStep;
  const detail = detailSchema.safeParse(fromScheduler && isObject(envelope.data.detail) ? { actor: ENGINE_ACTOR, ...envelope.data.detail } : envelope.data.detail);
  if (!detail.success) {
    throw malformed('detail', detail.error, '{ runId?, actor: { username, name? }, targetSrn?, duration?, fields? }');
  }
  const d = detail.data;
  if (d.runId === undefined && step !== 'prompt' && step !== 'request') {
    throw new RefusalError(`detail.runId is missing: ${step} must name the run it acts on`, 'malformed_event');
  }
  if (d.runId === undefined && !ID_PATTERN.test(id)) {
    throw new RefusalError(`detail.runId is missing and the event id ${JSON.stringify(id)} cannot serve as one: send detail.runId`, 'malformed_event');
  }
  if (d.targetSrn !== undefined) {
    try {
      SRN.parse(d.targetSrn);
    } catch (error) {
      if (error instanceof InvalidSRNError) throw new RefusalError(`detail.targetSrn: ${error.message}`, 'malformed_event', { cause: error });
      throw error;
    }
  }
  const fields = d.fields ?? {};
  const fieldsBytes = Buffer.byteLength(JSON.stringify(fields));
  if (fieldsBytes > MAX_FIELDS_BYTES) {
    throw new RefusalError(`detail.fields is ${fieldsBytes} bytes: at most ${MAX_FIELDS_BYTES} are accepted`, 'malformed_event');
  }
  if (d.deescalateType !== undefined && !fromScheduler) {
    throw new RefusalError(`detail.deescalateType is set by the engine's scheduler only, not by source ${source}`, 'malformed_event');
  }
  return {
    eventId: id,
    step,
    runId: d.runId ?? id,
    actor: fromScheduler ? ENGINE_ACTOR : { username: d.actor.username, name: d.actor.name ?? '' },
    origin: fromScheduler ? 'engine' : 'event',
    ...(d.targetSrn !== undefined ? { targetSrn: d.targetSrn } : {}),
    ...(d.duration !== undefined ? { durationSeconds: parseDuration(d.duration) } : {}),
    fields,
    ...(fromScheduler && step === 'deescalate' ? { deescalateType: d.deescalateType ?? 'scheduled' } : {}),
    ...(envelope.data.time !== undefined ? { time: envelope.data.time } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(what: string, error: z.ZodError, accepted: string): RefusalError {
  const problems = error.issues
    .map((issue) => `${issue.path.length > 0 ? `${what === 'detail' ? 'detail.' : ''}${issue.path.join('.')}` : what}: ${issue.message}`)
    .join('; ');
  return new RefusalError(`malformed event: ${problems}; accepted: ${accepted}`, 'malformed_event');
}
