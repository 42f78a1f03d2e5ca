/**
 * The VPC the bot runs in: two AZs, egress only. Socket Mode means the bot dials
 * out to Slack, so nothing ever connects in.
 *
 * - `private` (default): private subnets behind ONE NAT gateway. Tasks have no
 *   public address at all, so a later security-group mistake cannot expose them,
 *   and every call leaves from one Elastic IP an operator can allowlist or use in
 *   an `aws:SourceIp` condition. Costs a NAT gateway (about 33 USD a month plus
 *   0.045 USD/GB in us-east-1). One NAT gateway, not one per AZ: if its AZ fails
 *   the bot pauses until the AZ is back; a pending cleanup is durable and runs late.
 * - `public`: public subnets, a public IPv4 per task, no NAT (about 3.65 USD a
 *   month per task for the address). The security group still has no inbound rule,
 *   so nothing can reach the task; cheaper, with one layer less.
 */

import { RemovalPolicy } from 'aws-cdk-lib';
import { FlowLogDestination, FlowLogTrafficType, IpAddresses, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { type ILogGroup, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { NetworkMode } from './settings.js';

export interface BreakglassNetworkProps {
  mode: NetworkMode;
  logRetention: RetentionDays;
}

export class BreakglassNetwork extends Construct {
  readonly vpc: Vpc;
  readonly flowLogGroup: ILogGroup;
  readonly taskSubnetType: SubnetType;

  constructor(scope: Construct, id: string, props: BreakglassNetworkProps) {
    super(scope, id);
    const isPrivate = props.mode === 'private';
    this.taskSubnetType = isPrivate ? SubnetType.PRIVATE_WITH_EGRESS : SubnetType.PUBLIC;
    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.42.0.0/22'),
      maxAzs: 2,
      natGateways: isPrivate ? 1 : 0,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 26, mapPublicIpOnLaunch: false },
        ...(isPrivate ? [{ name: 'tasks', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 26 }] : []),
      ],
    });
    // Rejected and accepted flows alike: a record of where the bot talked to.
    this.flowLogGroup = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: FlowLogTrafficType.ALL,
    });
  }
}
