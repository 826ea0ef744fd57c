import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FlowConfigInput } from '../lambda/config/flow-config.js';
import type { JsonObject } from '../lambda/sdk/json.js';
import { PROJECT_ROOT, writeDispatcherEntry } from './dispatcher-entry.js';
import { EscalationTable } from './escalation-table.js';
import { checkFlowConfigSize, validateEscalationFlowProps } from './escalation-flow-validation.js';

/** Every step an event on the bus may name (`detail-type`). */
export const FLOW_STEPS = [
  'prompt',
  'request',
  'approve',
  'deny',
  'escalate',
  'deescalate',
  'request_expire',
  'request_forward',
] as const;

// The two sources below are also the defaults of lambda/scheduler/eventbridge-step-scheduler.ts
// and lambda/events/eventbridge-lifecycle-publisher.ts; not imported from there, so synth
// does not load the AWS SDK.

/** `source` of the events the flow's schedules put on the bus. */
export const SCHEDULER_SOURCE = 'lambda-escalation.scheduler';
/** `source` of the lifecycle events the dispatcher puts on the bus. */
export const LIFECYCLE_SOURCE = 'lambda-escalation.lifecycle';
/** `source` the flow accepts when `allowedSources` is not given. */
export const DEFAULT_SOURCE = 'lambda-escalation';

/**
 * The log line the failed-deescalations metric counts: the dispatcher logs, as a
 * structured (JSON) entry, `{"level":"ERROR","message":"deescalation failed","runId":…,
 * "flow":…,"targetSrn":…,"errors":[…]}`. Only `message` is matched.
 */
export const FAILED_DEESCALATION_LOG_MESSAGE = 'deescalation failed';
/**
 * Namespace of the metrics made from a flow's logs: one per flow, since a metric filter
 * cannot set a fixed dimension and a log line may lack the flow field.
 */
export function metricNamespace(flowName: string): string {
  return `LambdaEscalation/${flowName}`;
}

/** What to do with a request whose duration is over the maximum. */
export enum OverMaxDuration {
  /** Refuse the request. */
  REFUSE = 'refuse',
  /** Grant it for the maximum duration instead. */
  CLAMP = 'clamp',
}

/** Something a flow grants access to. */
export interface EscalationTarget {
  /**
   * SRN of the target, `<org>:access_target:<type>:<slug>:<version>[:<identifier>]`,
   * e.g. `acme:access_target:aws_lambda_function:prod-db:latest`. A request names it.
   */
  readonly srn: string;
  /**
   * Human label.
   * @default - the SRN's slug
   */
  readonly label?: string;
  /**
   * Free-form settings, given to the functions as `fields.target.settings`.
   * @default {}
   */
  readonly settings?: JsonObject;
  /**
   * Escalate function for this target only.
   * @default - the flow's `escalateFunction`
   */
  readonly escalateFunction?: lambda.IFunction;
  /**
   * Deescalate function for this target only.
   * @default - the flow's `deescalateFunction`
   */
  readonly deescalateFunction?: lambda.IFunction;
}

export interface EscalationFlowProps {
  /** Name of the flow, `^[a-zA-Z0-9-_]{1,64}$`. Runs and audit entries carry it. */
  readonly flowName: string;
  /**
   * Organisation part of the SRNs the flow makes (run, user, flow).
   * @default 'lambda-escalation'
   */
  readonly org?: string;
  /** The function that grants access. Invoked synchronously with a Sym-compatible payload. */
  readonly escalateFunction: lambda.IFunction;
  /** The function that revokes access. May be the same function as `escalateFunction`. */
  readonly deescalateFunction: lambda.IFunction;
  /** The targets a request may name; at least one. */
  readonly targets: EscalationTarget[];
  /**
   * Absolute path of the hooks module (`export default defineHooks({...})`), bundled
   * into the dispatcher. TypeScript or JavaScript, ESM or CommonJS.
   * @default - no hooks
   */
  readonly hooksFile?: string;
  /**
   * Table for runs, step outputs and history. Flows may share one. A table imported by
   * ARN needs the `byExpiry` and `byFlow` indexes of {@link EscalationTable}.
   * @default - a new `EscalationTable`
   */
  readonly table?: dynamodb.ITable;
  /**
   * Bus the flow's events arrive on and its lifecycle events go to.
   * @default - a new event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * EventBridge `source`s the flow accepts events from. Its own schedules' source
   * (`lambda-escalation.scheduler`) is always accepted besides.
   * @default ['lambda-escalation']
   */
  readonly allowedSources?: string[];
  /**
   * Duration when a request names none.
   * @default Duration.hours(1)
   */
  readonly defaultDuration?: Duration;
  /**
   * Longest duration a request may have.
   * @default Duration.hours(12)
   */
  readonly maxDuration?: Duration;
  /**
   * What to do with a request over `maxDuration`.
   * @default OverMaxDuration.REFUSE
   */
  readonly overMaxDuration?: OverMaxDuration;
  /**
   * How long an undecided request waits before it expires (`request_expire`).
   * @default Duration.hours(24)
   */
  readonly requestTimeout?: Duration;
  /**
   * Backup approvers an undecided request is forwarded to after `forwardAfter`.
   * @default [] - no forwarding
   */
  readonly forwardApprovers?: string[];
  /**
   * How long before an undecided request is forwarded; shorter than `requestTimeout`.
   * @default - half of `requestTimeout`
   */
  readonly forwardAfter?: Duration;
  /**
   * Whether the requester or the approver may revoke before expiry.
   * @default true
   */
  readonly allowRevoke?: boolean;
  /**
   * Whether a failed escalate is followed by a compensating deescalate (fail closed).
   * @default true
   */
  readonly compensateFailedEscalate?: boolean;
  /**
   * Whether two runs for one requester and target may both be escalated.
   * @default false
   */
  readonly allowOverlap?: boolean;
  /**
   * Whether an extension invokes the escalate function again.
   * @default false
   */
  readonly reinvokeEscalateOnExtend?: boolean;
  /**
   * Free-form variables, given to hooks as `event.flow.vars`.
   * @default {}
   */
  readonly vars?: Record<string, string>;
  /**
   * How often the sweep looks for escalations whose deescalation did not happen (a lost
   * or failed schedule). Whole minutes.
   * @default Duration.minutes(5)
   */
  readonly sweepInterval?: Duration;
  /**
   * How long past its expiry an escalation may stay active before the sweep deescalates
   * it. Whole seconds.
   * @default Duration.minutes(5)
   */
  readonly sweepGrace?: Duration;
  /**
   * Topic the alarms notify.
   * @default - the alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Retention of the dispatcher's logs (its audit trail besides the table).
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Level of the dispatcher's application logs.
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly logLevel?: lambda.ApplicationLogLevel;
  /**
   * Dispatcher memory, MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Dispatcher timeout. It waits for the escalate and deescalate functions, so make it
   * longer than theirs.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Dispatcher runtime.
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /**
   * How many times EventBridge retries delivering an event to the dispatcher, 0-185.
   * @default 185
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps trying to deliver an event, 60 seconds to 24 hours.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
  /**
   * Name of the schedule group for the flow's schedules.
   * @default - a name CDK generates
   */
  readonly scheduleGroupName?: string;
  /**
   * What happens to the table (when this construct makes it), the schedule group (and
   * its pending deescalations) and the logs when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The alarms of a flow. */
export interface EscalationFlowAlarms {
  /** The dispatcher threw (it retries on its own; errors here are ones it could not handle). */
  readonly dispatcherErrors: cloudwatch.Alarm;
  /** Events the dispatcher never processed are waiting in `deadLetterQueue`. */
  readonly deadLetterQueueDepth: cloudwatch.Alarm;
  /** Scheduled steps (deescalations!) Scheduler could not deliver are waiting in `schedulerDeadLetterQueue`. */
  readonly schedulerDeadLetterQueueDepth: cloudwatch.Alarm;
  /** A deescalate function failed: someone may still have access. */
  readonly failedDeescalations: cloudwatch.Alarm;
}

/**
 * A just-in-time access flow: an EventBridge rule hands the flow's events to a
 * dispatcher Lambda, which runs the approval workflow, invokes the flow's escalate and
 * deescalate functions, keeps state in DynamoDB, and schedules each deescalation with
 * EventBridge Scheduler. A sweep re-fires deescalations whose schedule was lost.
 *
 * The dispatcher may invoke only the flow's functions, write only its table, manage only
 * its schedule group's schedules, and put events only on its bus.
 */
export class EscalationFlow extends Construct {
  /** The dispatcher function. */
  public readonly dispatcher: lambda.IFunction;
  /** The table runs live in. */
  public readonly table: dynamodb.ITable;
  /** The bus the flow's events arrive on and its lifecycle events go to. */
  public readonly eventBus: events.IEventBus;
  /** The group the flow's one-time schedules go in. */
  public readonly scheduleGroup: scheduler.IScheduleGroup;
  /** The role EventBridge Scheduler assumes to put scheduled steps on the bus. */
  public readonly schedulerRole: iam.IRole;
  /** Events that could not be delivered to, or were not processed by, the dispatcher. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** Scheduled steps Scheduler could not put on the bus. */
  public readonly schedulerDeadLetterQueue: sqs.IQueue;
  /** The rule that hands the flow's events to the dispatcher. */
  public readonly ingressRule: events.Rule;
  /** The rule that runs the sweep. */
  public readonly sweepRule: events.Rule;
  /** The dispatcher's log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The flow's alarms. */
  public readonly alarms: EscalationFlowAlarms;

  public constructor(scope: Construct, id: string, props: EscalationFlowProps) {
    super(scope, id);
    validateEscalationFlowProps(props);

    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const allowedSources = props.allowedSources ?? [DEFAULT_SOURCE];
    const logLevel = props.logLevel ?? lambda.ApplicationLogLevel.INFO;

    this.table = props.table ?? new EscalationTable(this, 'Table', { removalPolicy }).table;
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus');

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: props.scheduleGroupName,
      removalPolicy,
    });

    // Both dead-letter queues: SSE with SQS-managed keys (EventBridge, Lambda and
    // Scheduler can all write to them without a key policy), TLS only, 14 days to act.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const schedulerDeadLetterQueue = new sqs.Queue(this, 'SchedulerDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.schedulerDeadLetterQueue = schedulerDeadLetterQueue;
    Validations.of(schedulerDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the DeadLetterConfig of the schedules the dispatcher creates at run time, which cdk-nag cannot see.',
    });

    this.schedulerRole = this.createSchedulerRole(schedulerDeadLetterQueue);

    this.logGroup = new logs.LogGroup(this, 'DispatcherLogs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy,
    });

    // Our own role, not the default one: that one attaches the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every log group); this one writes only its own.
    const dispatcherRole = new iam.Role(this, 'DispatcherRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Dispatcher of the ${props.flowName} escalation flow`,
    });
    this.logGroup.grantWrite(dispatcherRole);

    const flowConfig = this.flowConfig(props, allowedSources);
    const flowConfigJson = stack.toJsonString(flowConfig);
    checkFlowConfigSize(flowConfig);

    const timeout = props.timeout ?? Duration.minutes(2);
    const dispatcher = new nodejs.NodejsFunction(this, 'Dispatcher', {
      description: `lambda-escalation dispatcher of flow ${props.flowName}`,
      entry: writeDispatcherEntry(props.hooksFile),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout,
      role: dispatcherRole,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: logLevel,
      // EventBridge invokes the dispatcher asynchronously; an event it fails on twice
      // more goes to the dead-letter queue instead of being dropped.
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        TABLE_NAME: this.table.tableName,
        FLOW_CONFIG: flowConfigJson,
        EVENT_BUS_NAME: this.eventBus.eventBusName,
        EVENT_BUS_ARN: this.eventBus.eventBusArn,
        SCHEDULE_GROUP_NAME: this.scheduleGroup.scheduleGroupName,
        SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
        SCHEDULER_DLQ_ARN: schedulerDeadLetterQueue.queueArn,
        // The dispatcher sizes its invoke timeout and claim staleness from its own timeout.
        DISPATCHER_TIMEOUT_SECONDS: String(timeout.toSeconds()),
        POWERTOOLS_SERVICE_NAME: 'lambda-escalation',
        // Stack traces point into the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_LOG_LEVEL: logLevel,
      },
      bundling: {
        forceDockerBundling: false,
        // The runtime ships the AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
        minify: true,
        sourceMap: true,
        format: nodejs.OutputFormat.ESM,
        mainFields: ['module', 'main'],
        // Bundled CommonJS dependencies still call require() for Node built-ins.
        banner: "import { createRequire as __lambdaEscalationCreateRequire } from 'node:module'; const require = __lambdaEscalationCreateRequire(import.meta.url);",
      },
    });
    this.dispatcher = dispatcher;
    if (props.runtime === undefined) {
      Validations.of(dispatcher).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'The default runtime nodejs24.x is Runtime.NODEJS_LATEST in this aws-cdk-lib, the newest Node.js runtime available in every region; nodejs26.x is listed but not yet available everywhere. Set runtime to choose another.',
      });
    }
    this.grantDispatcher(dispatcherRole, props);

    const target = new eventsTargets.LambdaFunction(dispatcher, {
      retryAttempts: props.retryAttempts ?? 185,
      maxEventAge: props.maxEventAge ?? Duration.hours(24),
      deadLetterQueue: this.deadLetterQueue,
    });
    this.ingressRule = new events.Rule(this, 'IngressRule', {
      description: `Events of the ${props.flowName} escalation flow, to its dispatcher`,
      eventBus: this.eventBus,
      eventPattern: {
        source: [...new Set([...allowedSources, SCHEDULER_SOURCE])],
        detailType: [...FLOW_STEPS],
      },
      targets: [target],
    });

    const sweepInterval = props.sweepInterval ?? Duration.minutes(5);
    this.sweepRule = new events.Rule(this, 'SweepRule', {
      description: `Sweep of the ${props.flowName} escalation flow: deescalates what is past due`,
      schedule: events.Schedule.rate(sweepInterval),
      targets: [
        new eventsTargets.LambdaFunction(dispatcher, {
          // A late sweep is worthless: the next one comes one interval later.
          retryAttempts: 2,
          maxEventAge: sweepInterval.isUnresolved() ? Duration.minutes(5) : Duration.seconds(Math.min(86_400, Math.max(60, sweepInterval.toSeconds()))),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });

    this.alarms = this.createAlarms(props, dispatcher, schedulerDeadLetterQueue);
  }

  /** Lets `grantee` put events on the flow's bus: request, approve, deny, revoke. */
  public grantPutEvents(grantee: iam.IGrantable): iam.Grant {
    return this.eventBus.grantPutEventsTo(grantee);
  }

  private createSchedulerRole(schedulerDeadLetterQueue: sqs.Queue): iam.Role {
    const stack = Stack.of(this);
    // Confused-deputy protection: only Scheduler, for schedules of this account's group.
    // @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
    const role = new iam.Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler puts scheduled escalation steps on the flow bus',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
          },
        },
      }),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBus.eventBusArn] }),
    );
    // Scheduler writes to the DLQ with the execution role. The permission sits on the
    // queue rather than the role, so the role's own policy stays that one statement.
    // @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
    schedulerDeadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [role],
        actions: ['sqs:SendMessage'],
        resources: [schedulerDeadLetterQueue.queueArn],
      }),
    );
    return role;
  }

  private grantDispatcher(role: iam.Role, props: EscalationFlowProps): void {
    const stack = Stack.of(this);

    // Exactly the flow's functions, each once; no `:*` for versions and aliases, which
    // grantInvoke would add.
    const functionArns = [
      ...new Set([
        props.escalateFunction.functionArn,
        props.deescalateFunction.functionArn,
        ...props.targets.flatMap((target) =>
          [target.escalateFunction?.functionArn, target.deescalateFunction?.functionArn].filter(
            (arn): arn is string => arn !== undefined,
          ),
        ),
      ]),
    ];
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }));

    EscalationTable.grantReadWriteData(this.table, role);

    // Schedule names are per run, so the group's schedules are the narrowest resource.
    const schedulesArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.scheduleGroupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
        resources: [schedulesArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    this.eventBus.grantPutEventsTo(role);

    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack, schedulesArn)}]`,
        reason:
          'Schedules are created per run at run time (named <runId>-<step>), so the flow schedule group is the narrowest resource; the group holds only this flow schedules.',
      });
    }
  }

  private flowConfig(props: EscalationFlowProps, allowedSources: string[]): FlowConfigInput {
    const seconds = (duration: Duration | undefined): number | undefined => duration?.toSeconds();
    const config: FlowConfigInput = {
      name: props.flowName,
      org: props.org,
      escalateFunction: props.escalateFunction.functionArn,
      deescalateFunction: props.deescalateFunction.functionArn,
      targets: props.targets.map((target) => ({
        srn: target.srn,
        label: target.label,
        settings: target.settings,
        escalateFunction: target.escalateFunction?.functionArn,
        deescalateFunction: target.deescalateFunction?.functionArn,
      })),
      allowedSources,
      defaultDurationSeconds: seconds(props.defaultDuration),
      maxDurationSeconds: seconds(props.maxDuration),
      overMaxDuration: props.overMaxDuration,
      requestTimeoutSeconds: seconds(props.requestTimeout),
      forwardApprovers: props.forwardApprovers,
      forwardAfterSeconds: seconds(props.forwardAfter),
      allowRevoke: props.allowRevoke,
      compensateFailedEscalate: props.compensateFailedEscalate,
      allowOverlap: props.allowOverlap,
      reinvokeEscalateOnExtend: props.reinvokeEscalateOnExtend,
      sweepGraceSeconds: seconds(props.sweepGrace),
      vars: props.vars,
    };
    // Unset props stay out of the JSON: the dispatcher's schema applies the defaults,
    // once, where they are defined.
    return JSON.parse(JSON.stringify(config)) as FlowConfigInput;
  }

  private createAlarms(props: EscalationFlowProps, dispatcher: lambda.IFunction, schedulerDeadLetterQueue: sqs.IQueue): EscalationFlowAlarms {
    const period = Duration.minutes(5);
    const atLeastOne = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };

    const failedDeescalationsMetric = new logs.MetricFilter(this, 'FailedDeescalationsFilter', {
      logGroup: this.logGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', FAILED_DEESCALATION_LOG_MESSAGE),
      metricNamespace: metricNamespace(props.flowName),
      metricName: 'FailedDeescalations',
      metricValue: '1',
    }).metric({ statistic: cloudwatch.Stats.SUM, period });

    const alarms: EscalationFlowAlarms = {
      dispatcherErrors: new cloudwatch.Alarm(this, 'DispatcherErrorsAlarm', {
        alarmDescription: `The ${props.flowName} escalation dispatcher failed on events; see its logs and dead-letter queue.`,
        metric: dispatcher.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        ...atLeastOne,
      }),
      deadLetterQueueDepth: new cloudwatch.Alarm(this, 'DeadLetterQueueAlarm', {
        alarmDescription: `Events of the ${props.flowName} escalation flow were never processed; they wait in its dead-letter queue.`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
        ...atLeastOne,
      }),
      schedulerDeadLetterQueueDepth: new cloudwatch.Alarm(this, 'SchedulerDeadLetterQueueAlarm', {
        alarmDescription: `Scheduled steps (deescalations) of the ${props.flowName} escalation flow were not delivered; the sweep retries, check the scheduler dead-letter queue.`,
        metric: schedulerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
        ...atLeastOne,
      }),
      failedDeescalations: new cloudwatch.Alarm(this, 'FailedDeescalationsAlarm', {
        alarmDescription: `A deescalation of the ${props.flowName} escalation flow failed: someone may still have access.`,
        metric: failedDeescalationsMetric,
        ...atLeastOne,
      }),
    };
    if (props.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(props.alarmTopic);
      for (const alarm of Object.values(alarms)) alarm.addAlarmAction(action);
    }
    return alarms;
  }
}

/**
 * A resource the way cdk-nag writes it in a finding id: Refs as `<LogicalId>`, GetAtts as
 * `<LogicalId.Attr>`, joins flattened (cdk-nag's `flattenCfnReference`). cdk-nag 3 matches
 * acknowledgements by exact id, so a finding can only be acknowledged under this form.
 */
function nagResource(stack: Stack, value: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (typeof node === 'object' && node !== null) {
      if ('Fn::Join' in node && Array.isArray(node['Fn::Join'])) {
        const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
        return items.map(visit).join(delimiter);
      }
      if ('Fn::Sub' in node) return visit(node['Fn::Sub']);
      if ('Fn::GetAtt' in node && Array.isArray(node['Fn::GetAtt'])) {
        const [resource, attribute] = node['Fn::GetAtt'] as unknown[];
        return `<${visit(resource)}.${visit(attribute)}>`;
      }
      if ('Fn::ImportValue' in node) return visit(node['Fn::ImportValue']);
      if ('Ref' in node) return `<${visit(node.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return visit(stack.resolve(value));
}
