import * as fs from 'node:fs';
import * as path from 'node:path';
import { Token, type Duration } from 'aws-cdk-lib';
import { flowConfigSchema, type FlowConfigInput } from '../lambda/config/flow-config.js';
import type { EscalationFlowProps } from './escalation-flow.js';
import { InvalidPropsError } from './invalid-props-error.js';

// Kept apart from escalation-flow.ts so the construct reads as wiring; every check here
// runs before any resource is made, so a bad prop fails fast, without bundling.

const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const NAME_RULE = 'use 1-64 letters, digits, hyphens and underscores';
// `<org>:access_target:<type>:<slug>:<version>[:<identifier>]`, case-insensitive, as the
// SDK's SRN parser reads it (lambda/sdk/srn.ts); the dispatcher parses it fully.
const TARGET_SRN = /^[a-z0-9-_]+:access_target:[a-z0-9-_]+:[a-z0-9-_]+:(latest|\d{1,3}\.\d{1,3}\.\d{1,3})(:[a-z0-9-_]+)?$/i;
const TARGET_SRN_RULE =
  'expected <org>:access_target:<type>:<slug>:<version>[:<identifier>], e.g. acme:access_target:aws_lambda_function:prod-db:latest ' +
  '(parts of letters, digits, - and _; version "latest" or N.N.N)';
const RESERVED_SOURCES = ['lambda-escalation.scheduler', 'lambda-escalation.lifecycle'];
// Lambda allows 4 KB for all environment variables together; the ARNs and names beside
// FLOW_CONFIG take up to about 900 bytes.
// @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
const FLOW_CONFIG_BUDGET_BYTES = 3_200;
// What an unresolved ARN or name may grow to once deployed.
const TOKEN_ESTIMATE = 'x'.repeat(140);

/** Checks every prop that can be checked at synth; throws {@link InvalidPropsError}. */
export function validateEscalationFlowProps(props: EscalationFlowProps): void {
  checkName('flowName', props.flowName);
  if (props.org !== undefined) checkName('org', props.org);
  checkTargets(props);
  checkHooksFile(props.hooksFile);
  checkSources(props.allowedSources);
  checkDurations(props);
  checkInteger('retryAttempts', props.retryAttempts, 0, 185);
  checkInteger('memorySize', props.memorySize, 128, 10_240);
  if (props.maxEventAge !== undefined && !props.maxEventAge.isUnresolved()) {
    const age = props.maxEventAge.toSeconds({ integral: false });
    if (age < 60 || age > 86_400) {
      throw new InvalidPropsError('maxEventAge', props.maxEventAge, 'EventBridge keeps retrying for 60 seconds to 24 hours');
    }
  }
  props.forwardApprovers?.forEach((approver, index) => {
    if (!Token.isUnresolved(approver) && approver.trim() === '') {
      throw new InvalidPropsError(`forwardApprovers[${index}]`, approver, 'give a username');
    }
  });
}

/**
 * Throws when the flow's configuration may not fit in the dispatcher's environment, and
 * when the dispatcher's own schema would refuse it.
 */
export function checkFlowConfigSize(config: FlowConfigInput): void {
  const estimate = JSON.stringify(config, (_key, value: unknown) => {
    if (typeof value === 'string' && Token.isUnresolved(value)) return TOKEN_ESTIMATE;
    if (typeof value === 'number' && Token.isUnresolved(value)) return 999_999_999;
    return value;
  });
  const bytes = Buffer.byteLength(estimate);
  if (bytes > FLOW_CONFIG_BUDGET_BYTES) {
    throw new InvalidPropsError(
      'targets',
      `${config.targets.length} target(s)`,
      `the flow's configuration (FLOW_CONFIG) would take about ${bytes} bytes of the dispatcher's environment, over the ` +
        `${FLOW_CONFIG_BUDGET_BYTES} bytes left of Lambda's 4 KB: use fewer targets, shorter settings or vars, or split the flow`,
    );
  }
  // For the schema, an unresolved SRN stands in as a valid one: it is checked at deploy.
  const checkable = JSON.parse(estimate, (key, value: unknown) =>
    key === 'srn' && value === TOKEN_ESTIMATE ? 'token:access_target:token:token:latest' : value,
  ) as unknown;
  const parsed = flowConfigSchema.safeParse(checkable);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidPropsError(
      issue?.path.join('.') || 'props',
      'see the message',
      `the dispatcher would refuse its configuration: ${issue?.message ?? parsed.error.message}`,
    );
  }
}

function checkName(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!NAME.test(value)) throw new InvalidPropsError(prop, value, NAME_RULE);
}

function checkTargets(props: EscalationFlowProps): void {
  if (props.targets.length === 0) {
    throw new InvalidPropsError('targets', props.targets, 'give at least one target: a request asks for access to one of them');
  }
  const seen = new Map<string, number>();
  props.targets.forEach((target, index) => {
    if (Token.isUnresolved(target.srn)) return;
    if (!TARGET_SRN.test(target.srn)) throw new InvalidPropsError(`targets[${index}].srn`, target.srn, TARGET_SRN_RULE);
    const key = target.srn.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      throw new InvalidPropsError(`targets[${index}].srn`, target.srn, `targets[${first}] has the same SRN (SRNs compare case-insensitively): give each target once`);
    }
    seen.set(key, index);
    if (target.label !== undefined && !Token.isUnresolved(target.label) && target.label.trim() === '') {
      throw new InvalidPropsError(`targets[${index}].label`, target.label, 'give a non-empty label, or leave it out to use the slug');
    }
  });
}

function checkHooksFile(hooksFile: string | undefined): void {
  if (hooksFile === undefined) return;
  if (!path.isAbsolute(hooksFile)) {
    throw new InvalidPropsError('hooksFile', hooksFile, "give an absolute path, e.g. path.join(import.meta.dirname, 'hooks.ts')");
  }
  if (!fs.existsSync(hooksFile) || !fs.statSync(hooksFile).isFile()) {
    throw new InvalidPropsError('hooksFile', hooksFile, 'no such file: give the path of a module that does `export default defineHooks({...})`');
  }
}

function checkSources(sources: string[] | undefined): void {
  if (sources === undefined) return;
  if (sources.length === 0) {
    throw new InvalidPropsError('allowedSources', sources, "give at least one source, or leave it out to accept 'lambda-escalation'");
  }
  sources.forEach((source, index) => {
    if (Token.isUnresolved(source)) return;
    const prop = `allowedSources[${index}]`;
    if (source.length === 0 || source.length > 256) throw new InvalidPropsError(prop, source, 'a source is 1-256 characters');
    if (source.toLowerCase().startsWith('aws.')) {
      throw new InvalidPropsError(prop, source, 'sources starting with "aws." are reserved for AWS services and cannot be put on a bus');
    }
    if (RESERVED_SOURCES.includes(source)) {
      throw new InvalidPropsError(prop, source, `${RESERVED_SOURCES.join(' and ')} are the flow's own sources: choose another one`);
    }
  });
}

/** Seconds of a resolved duration, else `undefined`. */
function secondsOf(duration: Duration | undefined): number | undefined {
  if (duration === undefined || duration.isUnresolved()) return undefined;
  return duration.toSeconds({ integral: false });
}

function checkPositiveWholeSeconds(prop: string, duration: Duration | undefined, allowZero = false): void {
  const seconds = secondsOf(duration);
  if (seconds === undefined) return;
  if (!Number.isInteger(seconds) || seconds < 0 || (!allowZero && seconds === 0)) {
    throw new InvalidPropsError(prop, duration, `give a ${allowZero ? 'non-negative' : 'positive'} whole number of seconds`);
  }
}

function checkDurations(props: EscalationFlowProps): void {
  checkPositiveWholeSeconds('defaultDuration', props.defaultDuration);
  checkPositiveWholeSeconds('maxDuration', props.maxDuration);
  checkPositiveWholeSeconds('requestTimeout', props.requestTimeout);
  checkPositiveWholeSeconds('forwardAfter', props.forwardAfter);
  checkPositiveWholeSeconds('sweepGrace', props.sweepGrace, true);

  const interval = secondsOf(props.sweepInterval);
  if (interval !== undefined && (interval < 60 || !Number.isInteger(interval / 60))) {
    throw new InvalidPropsError('sweepInterval', props.sweepInterval, 'give whole minutes, at least 1 (an EventBridge rate schedule)');
  }

  // The defaults come from the dispatcher's schema, where they are defined.
  const shape = flowConfigSchema.shape;
  const defaultSeconds = secondsOf(props.defaultDuration) ?? (props.defaultDuration ? undefined : shape.defaultDurationSeconds.parse(undefined));
  const maxSeconds = secondsOf(props.maxDuration) ?? (props.maxDuration ? undefined : shape.maxDurationSeconds.parse(undefined));
  if (defaultSeconds !== undefined && maxSeconds !== undefined && defaultSeconds > maxSeconds) {
    if (props.defaultDuration) {
      const max = props.maxDuration ? props.maxDuration.toHumanString() : `${maxSeconds} seconds, the default`;
      throw new InvalidPropsError('defaultDuration', props.defaultDuration, `it must not exceed maxDuration (${max})`);
    }
    throw new InvalidPropsError(
      'maxDuration',
      props.maxDuration,
      `it must not be shorter than defaultDuration (${defaultSeconds} seconds, the default): lower defaultDuration too`,
    );
  }

  const timeoutSeconds = secondsOf(props.requestTimeout) ?? (props.requestTimeout ? undefined : shape.requestTimeoutSeconds.parse(undefined));
  const forwardSeconds = secondsOf(props.forwardAfter);
  if (forwardSeconds !== undefined && timeoutSeconds !== undefined && forwardSeconds >= timeoutSeconds) {
    throw new InvalidPropsError(
      'forwardAfter',
      props.forwardAfter,
      `it must be shorter than requestTimeout (${props.requestTimeout ? props.requestTimeout.toHumanString() : `${timeoutSeconds} seconds, the default`}), or the request expires before it is forwarded`,
    );
  }
}

function checkInteger(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidPropsError(prop, value, `give a whole number from ${min} to ${max}`);
  }
}
