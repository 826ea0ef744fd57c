import { describe, expect, it } from 'vitest';
import { Validations, type App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LambdaEscalationSampleStack } from '../../lib/index.js';
import { testApp } from './helpers.js';

// cdk-nag 3 is a policy-validation plugin, not an Aspect: findings do not become
// annotations, they come back from the pack (validateScope) and fail app.synth(). Both
// are checked; the annotations check guards against anything else the stack reports.
function findings(app: App): { rule: string; severity: string; paths: string[] }[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.map((violation) => ({
    rule: violation.ruleName,
    severity: violation.severity ?? 'unknown',
    paths: violation.violatingResources.map((resource) => resource.constructPath ?? resource.resourceLogicalId ?? '?'),
  }));
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing in the sample app with the example functions', () => {
    // Bundling is skipped: it changes only the asset, which no rule reads.
    const app = testApp({ bundle: false });
    const stack = new LambdaEscalationSampleStack(app, 'LambdaEscalationSample', { env: { account: '111122223333', region: 'eu-west-1' } });
    expect(findings(app)).toEqual([]);

    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  it('finds nothing in the sample app with imported functions, in an environment-agnostic stack', () => {
    const app = testApp({ bundle: false });
    new LambdaEscalationSampleStack(app, 'LambdaEscalationSample', {
      escalateFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:grant',
      deescalateFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:revoke',
      targets: [{ srn: 'acme:access_target:aws_lambda_function:prod-db:latest' }],
    });
    expect(findings(app)).toEqual([]);
  });

  it('reports what it should: a finding is not hidden by the acknowledgements', () => {
    const app = testApp({ bundle: false });
    const stack = new LambdaEscalationSampleStack(app, 'LambdaEscalationSample');
    // A second, unacknowledged wildcard on the dispatcher must surface.
    stack.flow.dispatcher.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
    );
    expect(findings(app).map((finding) => finding.rule)).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });
});
