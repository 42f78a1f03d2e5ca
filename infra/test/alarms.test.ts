import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { METRICS } from '../lib/contract.js';
import { synth } from './synth.js';

const SLOW = { timeout: 60_000 };
const { template, stack } = synth();
const topicRef = { Ref: stack.getLogicalId(stack.alarms.topic.node.defaultChild as never) };

describe('alarms', () => {
  test.each([
    [METRICS.cleanupFailed, 'Sum', 'GreaterThanOrEqualToThreshold', 1, 'notBreaching'],
    [METRICS.outboxBacklog, 'Maximum', 'GreaterThanThreshold', 20, 'notBreaching'],
    // no heartbeat at all (no replica running) is the failure: missing data breaches
    [METRICS.schedulerHeartbeat, 'Sum', 'LessThanThreshold', 1, 'breaching'],
  ])('%s: %s %s %d, missing data %s, to the topic', (metric, statistic, comparison, threshold, missing) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: metric,
      Dimensions: Match.absent(),
      Statistic: statistic,
      ComparisonOperator: comparison,
      Threshold: threshold,
      TreatMissingData: missing,
      AlarmActions: [topicRef],
      OKActions: [topicRef],
    });
  });

  test('exactly three alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });

  test('the topic is encrypted with a rotated key CloudWatch may use, and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'breakglass: alarm topic encryption',
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '111122223333' } }),
          }),
        ]),
      },
    });
  });

  test('email subscription only when alarmEmail is set', SLOW, () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = synth({ alarmEmail: 'secops@example.com', outboxBacklogThreshold: 50 });
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'secops@example.com',
    });
    withEmail.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRICS.outboxBacklog,
      Threshold: 50,
    });
    expect(withEmail.stack.alarms.outboxBacklog).toBeDefined();
  });
});
