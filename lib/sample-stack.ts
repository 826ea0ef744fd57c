import * as path from 'node:path';
import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { JsonObject } from '../lambda/sdk/json.js';
import { PROJECT_ROOT } from './dispatcher-entry.js';
import { EscalationFlow, type EscalationTarget } from './escalation-flow.js';
import { InvalidPropsError } from './invalid-props-error.js';

/** A target as the sample takes it from context: functions by ARN. */
export interface SampleTarget {
  readonly srn: string;
  readonly label?: string;
  readonly settings?: JsonObject;
  /** ARN of an escalate function for this target only. */
  readonly escalateFunctionArn?: string;
  /** ARN of a deescalate function for this target only. */
  readonly deescalateFunctionArn?: string;
}

export interface LambdaEscalationSampleStackProps extends StackProps {
  /**
   * ARN of your escalate function.
   * @default - deploys the example in lambda/examples/escalate.ts
   */
  readonly escalateFunctionArn?: string;
  /**
   * ARN of your deescalate function.
   * @default - `escalateFunctionArn` when that is given (one function doing both), else the example in lambda/examples/deescalate.ts
   */
  readonly deescalateFunctionArn?: string;
  /**
   * Targets; required with `escalateFunctionArn`.
   * @default - two sample targets served by the example functions
   */
  readonly targets?: SampleTarget[];
  /**
   * Absolute path of the hooks module.
   * @default - lambda/examples/hooks.ts
   */
  readonly hooksFile?: string;
  /**
   * Name of the flow.
   * @default 'sample'
   */
  readonly flowName?: string;
}

/** The targets the example functions serve. */
export const SAMPLE_TARGETS: readonly SampleTarget[] = [
  {
    srn: 'lambda-escalation:access_target:aws_lambda_function:sandbox-admin:latest',
    label: 'Sandbox account, administrator',
    settings: { environment: 'sandbox', permissionSet: 'AdministratorAccess' },
  },
  {
    srn: 'lambda-escalation:access_target:aws_lambda_function:staging-db-readonly:latest',
    label: 'Staging database, read only',
    settings: { environment: 'staging', databaseRole: 'readonly' },
  },
];

const EXAMPLES_DIR = path.join(PROJECT_ROOT, 'lambda', 'examples');

/**
 * Reads the `targets` context value: a JSON array of targets, one target object, or an
 * object mapping SRNs to `{label?, settings?, …}`; as JSON text (from `-c targets=…`) or
 * already parsed (from cdk.json).
 */
export function parseSampleTargets(value: unknown): SampleTarget[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new InvalidPropsError('context targets', value, `it is not JSON (${(error as Error).message}): give a JSON array of {"srn": …} objects`);
    }
  }
  const list: unknown[] = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && typeof parsed.srn === 'string'
      ? [parsed]
      : isObject(parsed)
        ? Object.entries(parsed).map(([srn, rest]) => ({ ...(isObject(rest) ? rest : {}), srn }))
        : [parsed];
  return list.map((item, index) => {
    if (!isObject(item) || typeof item.srn !== 'string') {
      throw new InvalidPropsError(`context targets[${index}]`, item, 'each target is an object with an "srn" string (and optional label, settings, escalateFunctionArn, deescalateFunctionArn)');
    }
    for (const key of ['label', 'escalateFunctionArn', 'deescalateFunctionArn'] as const) {
      if (item[key] !== undefined && typeof item[key] !== 'string') {
        throw new InvalidPropsError(`context targets[${index}].${key}`, item[key], 'give a string');
      }
    }
    if (item.settings !== undefined && !isObject(item.settings)) {
      throw new InvalidPropsError(`context targets[${index}].settings`, item.settings, 'give a JSON object');
    }
    return item as unknown as SampleTarget;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deployable flow: your functions and targets when given (by ARN), else the example
 * functions and hooks from lambda/examples with two sample targets.
 */
export class LambdaEscalationSampleStack extends Stack {
  public readonly flow: EscalationFlow;

  public constructor(scope: Construct, id: string, props: LambdaEscalationSampleStackProps = {}) {
    super(scope, id, props);

    if (props.deescalateFunctionArn !== undefined && props.escalateFunctionArn === undefined) {
      throw new InvalidPropsError('deescalateFunctionArn', props.deescalateFunctionArn, 'give escalateFunctionArn too (the same ARN when one function does both)');
    }
    if (props.escalateFunctionArn !== undefined && props.targets === undefined) {
      throw new InvalidPropsError('targets', undefined, 'with your own functions, give your own targets too (context "targets": a JSON array of {"srn": …})');
    }

    let escalateFunction: lambda.IFunction;
    let deescalateFunction: lambda.IFunction;
    const imported = new Map<string, lambda.IFunction>();
    const importFunction = (arn: string): lambda.IFunction => {
      let fn = imported.get(arn);
      if (!fn) {
        fn = lambda.Function.fromFunctionArn(this, `Imported${imported.size}`, arn);
        imported.set(arn, fn);
      }
      return fn;
    };
    if (props.escalateFunctionArn !== undefined) {
      escalateFunction = importFunction(props.escalateFunctionArn);
      deescalateFunction = importFunction(props.deescalateFunctionArn ?? props.escalateFunctionArn);
    } else {
      escalateFunction = this.exampleFunction('ExampleEscalate', 'escalate.ts');
      deescalateFunction = this.exampleFunction('ExampleDeescalate', 'deescalate.ts');
    }

    const targets: EscalationTarget[] = (props.targets ?? SAMPLE_TARGETS).map((target) => ({
      srn: target.srn,
      label: target.label,
      settings: target.settings,
      escalateFunction: target.escalateFunctionArn ? importFunction(target.escalateFunctionArn) : undefined,
      deescalateFunction: target.deescalateFunctionArn ? importFunction(target.deescalateFunctionArn) : undefined,
    }));

    this.flow = new EscalationFlow(this, 'Flow', {
      flowName: props.flowName ?? 'sample',
      escalateFunction,
      deescalateFunction,
      targets,
      hooksFile: props.hooksFile ?? path.join(EXAMPLES_DIR, 'hooks.ts'),
    });

    new CfnOutput(this, 'EventBusName', { value: this.flow.eventBus.eventBusName, description: 'Put request, approve, deny and deescalate events here' });
    new CfnOutput(this, 'DispatcherFunctionName', { value: this.flow.dispatcher.functionName });
    new CfnOutput(this, 'TableName', { value: this.flow.table.tableName });
  }

  /** An example user Lambda: its own log group, and a role that may write only there. */
  private exampleFunction(id: string, file: string): lambda.IFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const fn = new nodejs.NodejsFunction(this, id, {
      entry: path.join(EXAMPLES_DIR, file),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: { forceDockerBundling: false, externalModules: ['@aws-sdk/*'], minify: true, sourceMap: true, format: nodejs.OutputFormat.ESM },
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'nodejs24.x is Runtime.NODEJS_LATEST in this aws-cdk-lib, the newest Node.js runtime available in every region; nodejs26.x is listed but not yet available everywhere.',
    });
    return fn;
  }
}
