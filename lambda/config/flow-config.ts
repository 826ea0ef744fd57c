import { z } from 'zod';
import { InvalidSRNError } from '../sdk/errors.js';
import { SRN } from '../sdk/srn.js';
import { jsonObjectSchema } from './json-schema.js';

/**
 * A flow's configuration: what the CDK construct passes to its dispatcher (as the
 * `FLOW_CONFIG` environment variable) and what local mode builds from its flags.
 * Defaults live here, once.
 */
export const flowTargetSchema = z.object({
  /** SRN of the target; a request names its target by it. */
  srn: z.string().superRefine((text, ctx) => {
    try {
      SRN.parse(text);
    } catch (error) {
      if (!(error instanceof InvalidSRNError)) throw error;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: error.message });
    }
  }),
  /** Human label. @default the SRN's slug */
  label: z.string().optional(),
  /** Free-form settings handed to the Lambdas as `fields.target.settings`. @default {} */
  settings: jsonObjectSchema.default({}),
  /** Escalate function for this target only. @default the flow's */
  escalateFunction: z.string().min(1).optional(),
  /** Deescalate function for this target only. @default the flow's */
  deescalateFunction: z.string().min(1).optional(),
});

export const flowConfigSchema = z.object({
  /** Flow name, `^[a-zA-Z0-9-_]+$`. */
  name: z.string().regex(/^[a-zA-Z0-9-_]+$/, 'flow name must match ^[a-zA-Z0-9-_]+$'),
  /** Organisation part of the SRNs the flow makes (run, user, flow). @default 'lambda-escalation' */
  org: z.string().regex(/^[a-zA-Z0-9-_]+$/).default('lambda-escalation'),
  /** Name or ARN of the escalate function. */
  escalateFunction: z.string().min(1),
  /** Name or ARN of the deescalate function. */
  deescalateFunction: z.string().min(1),
  /** The targets a request may name. */
  targets: z.array(flowTargetSchema).min(1),
  /** EventBridge `source`s accepted. @default ['lambda-escalation'] */
  allowedSources: z.array(z.string().min(1)).min(1).default(['lambda-escalation']),
  /** Duration when a request names none, seconds. @default 3600 */
  defaultDurationSeconds: z.number().int().positive().default(3600),
  /** Longest duration a request may have, seconds. @default 43200 (12 hours) */
  maxDurationSeconds: z.number().int().positive().default(43_200),
  /** What to do with a request over the maximum. @default 'refuse' */
  overMaxDuration: z.enum(['refuse', 'clamp']).default('refuse'),
  /** Seconds an undecided request waits before `request_expire`. @default 86400 */
  requestTimeoutSeconds: z.number().int().positive().default(86_400),
  /** Backup approvers a request is forwarded to once `forwardAfterSeconds` pass. @default [] (no forwarding) */
  forwardApprovers: z.array(z.string().min(1)).default([]),
  /** Seconds before an undecided request is forwarded. @default half the request timeout */
  forwardAfterSeconds: z.number().int().positive().optional(),
  /** Whether the requester or approver may revoke before expiry. @default true */
  allowRevoke: z.boolean().default(true),
  /** Whether a failed escalate is followed by a compensating deescalate (fail closed). @default true */
  compensateFailedEscalate: z.boolean().default(true),
  /** Whether two runs for one requester and target may both be escalated. @default false */
  allowOverlap: z.boolean().default(false),
  /** Whether an extension invokes the escalate function again. @default false */
  reinvokeEscalateOnExtend: z.boolean().default(false),
  /** Seconds past expiry after which the sweep re-fires a deescalation. @default 300 */
  sweepGraceSeconds: z.number().int().nonnegative().default(300),
  /** Free-form variables, given to hooks as `event.flow.vars`. @default {} */
  vars: z.record(z.string(), z.string()).default({}),
});

export type FlowTargetConfig = z.infer<typeof flowTargetSchema>;
/** A flow's configuration after defaults. */
export type FlowConfig = z.infer<typeof flowConfigSchema>;
/** A flow's configuration as written, defaults optional. */
export type FlowConfigInput = z.input<typeof flowConfigSchema>;
