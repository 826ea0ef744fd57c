import { describe, expect, it } from 'vitest';
import { AdapterConfigurationError } from '../lambda/adapter-errors.js';
import { readEnvironment, timeBudgets } from '../lambda/handler.js';

const env = {
  TABLE_NAME: 't',
  FLOW_CONFIG: JSON.stringify({ name: 'f', escalateFunction: 'e', deescalateFunction: 'd', targets: [{ srn: 'acme:access_target:aws_lambda_function:db:latest' }] }),
  EVENT_BUS_NAME: 'b',
  EVENT_BUS_ARN: 'arn:aws:events:us-east-1:1:event-bus/b',
  SCHEDULE_GROUP_NAME: 'g',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::1:role/r',
};

describe('readEnvironment', () => {
  it('reads the flow with its defaults applied', () => {
    const { flow } = readEnvironment(env);
    expect(flow).toMatchObject({ name: 'f', allowedSources: ['lambda-escalation'], defaultDurationSeconds: 3600, allowRevoke: true });
  });

  it('names what is missing or wrong', () => {
    expect(() => readEnvironment({ ...env, TABLE_NAME: '', SCHEDULER_ROLE_ARN: undefined })).toThrow(
      new AdapterConfigurationError("the dispatcher's environment lacks TABLE_NAME, SCHEDULER_ROLE_ARN: deploy it with the EscalationFlow construct, which sets them"),
    );
    expect(() => readEnvironment({ ...env, FLOW_CONFIG: '{' })).toThrow(/^FLOW_CONFIG is not JSON: /);
    expect(() => readEnvironment({ ...env, FLOW_CONFIG: JSON.stringify({ name: 'f' }) })).toThrow(
      /^FLOW_CONFIG is not a valid flow: escalateFunction: Required; deescalateFunction: Required; targets: Required$/,
    );
  });
});

describe('timeBudgets', () => {
  it('leaves room for escalate and a compensating deescalate, and calls a claim stale only after the function must have stopped', () => {
    expect(timeBudgets(120)).toEqual({ invokeTimeoutMs: 48_000, claimStaleAfterMs: 180_000 });
    expect(timeBudgets(900)).toEqual({ invokeTimeoutMs: 360_000, claimStaleAfterMs: 960_000 });
  });
});

describe('flow configuration', () => {
  it('refuses a target whose SRN does not parse, saying why', () => {
    const bad = { ...env, FLOW_CONFIG: JSON.stringify({ name: 'f', escalateFunction: 'e', deescalateFunction: 'd', targets: [{ srn: 'acme:access_target:db:1.0' }] }) };
    expect(() => readEnvironment(bad)).toThrow(/^FLOW_CONFIG is not a valid flow: targets\.0\.srn: invalid SRN "acme:access_target:db:1\.0"/);
  });
});
