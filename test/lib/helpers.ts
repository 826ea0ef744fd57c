import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { PROJECT_ROOT } from '../../lib/dispatcher-entry.js';

/** The context `cdk synth` gives the app: cdk.json's feature flags. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * An app with cdk.json's context. `bundle: false` skips esbuild (CDK stages a placeholder
 * asset instead), which keeps tests that only read the template fast.
 */
export function testApp(options: { bundle?: boolean; context?: Record<string, unknown> } = {}): App {
  return new App({
    context: {
      ...cdkJsonContext(),
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
      ...options.context,
    },
  });
}

type Cfn = string | { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, Cfn[]] };

/** A CloudFormation string value with references written as `{{Logical.Attr}}` / `{{Logical}}`. */
export function flatten(value: Cfn): string {
  if (typeof value === 'string') return value;
  if (value.Ref) return `{{${value.Ref}}}`;
  if (value['Fn::GetAtt']) return `{{${value['Fn::GetAtt'].join('.')}}}`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  return JSON.stringify(value);
}
