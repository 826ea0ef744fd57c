import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LambdaEscalationSampleStack, parseSampleTargets } from '../lib/index.js';

// Context (cdk.json, or `cdk synth -c escalateFunctionArn=… -c targets='[…]'`):
//   escalateFunctionArn, deescalateFunctionArn, targets, hooksFile, flowName.
// With none of them, the stack deploys the examples in lambda/examples.
const app = new App();

const contextString = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const hooksFile = contextString('hooksFile');

new LambdaEscalationSampleStack(app, 'LambdaEscalationSample', {
  description: 'lambda-escalation: just-in-time access with your own escalate and deescalate Lambdas',
  escalateFunctionArn: contextString('escalateFunctionArn'),
  deescalateFunctionArn: contextString('deescalateFunctionArn'),
  targets: parseSampleTargets(app.node.tryGetContext('targets')),
  hooksFile: hooksFile === undefined ? undefined : path.resolve(hooksFile),
  flowName: contextString('flowName'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag 3 is a policy-validation plugin: findings fail the synth, acknowledged ones are
// listed in the report.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
