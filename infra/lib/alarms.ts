/**
 * Alarms on the bot's own metrics (CloudWatch embedded metric format in its log
 * lines, see METRICS), sent to an encrypted SNS topic with an optional email
 * subscription:
 *
 * - a failed cleanup: a root credential may still exist, act now;
 * - an outbox backlog: Slack notices are not going out;
 * - no scheduler heartbeat: no replica is running its scheduler, so no cleanup
 *   runs at all (missing data counts as breaching).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, Unit } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS } from './contract.js';

export interface BreakglassAlarmsProps {
  alarmEmail: string | undefined;
  outboxBacklogThreshold: number;
}

export class BreakglassAlarms extends Construct {
  readonly topic: Topic;
  readonly cleanupFailed: Alarm;
  readonly outboxBacklog: Alarm;
  readonly schedulerHeartbeat: Alarm;

  constructor(scope: Construct, id: string, props: BreakglassAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // The AWS-managed SNS key cannot be used by CloudWatch alarms: a customer key
    // whose policy lets CloudWatch encrypt the messages it publishes.
    const key = new Key(this, 'TopicKey', {
      description: 'breakglass: alarm topic encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishEncrypted',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: 'breakglass alarms',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const metric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: METRICS.namespace,
        metricName,
        statistic,
        period: Duration.minutes(5),
        unit: Unit.COUNT,
      });

    this.cleanupFailed = new Alarm(this, 'CleanupFailed', {
      alarmDescription:
        'breakglass: a cleanup failed or could not be verified; a root credential may be left in a member account. See the bot logs (cleanup outcome lines) and run `breakglass audit`.',
      metric: metric(METRICS.cleanupFailed, 'Sum'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.outboxBacklog = new Alarm(this, 'OutboxBacklog', {
      alarmDescription: `breakglass: more than ${props.outboxBacklogThreshold} Slack notices undelivered for 15 minutes. Check /readyz and the notice-failure log lines.`,
      metric: metric(METRICS.outboxBacklog, 'Maximum'),
      threshold: props.outboxBacklogThreshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.schedulerHeartbeat = new Alarm(this, 'SchedulerHeartbeat', {
      alarmDescription:
        'breakglass: no scheduler heartbeat for 10 minutes; no replica runs cleanups. Check the ECS service and the bot logs.',
      metric: metric(METRICS.schedulerHeartbeat, 'Sum'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.BREACHING,
    });

    const action = new SnsAction(this.topic);
    for (const alarm of [this.cleanupFailed, this.outboxBacklog, this.schedulerHeartbeat]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
