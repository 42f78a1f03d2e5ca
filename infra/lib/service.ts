/**
 * The bot on ECS Fargate in Socket Mode: no load balancer, no inbound rule,
 * egress on 443 only (Slack's websocket and Web API, the AWS APIs, ECR). The
 * image is built from the repository's Dockerfile at deploy time; the container
 * runs as the image's non-root `node` user on a read-only root filesystem.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Peer, Port, SecurityGroup, type SubnetType, type Vpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Capability,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  Secret as EcsSecret,
  FargatePlatformVersion,
  FargateService,
  FargateTaskDefinition,
  LinuxParameters,
  LogDrivers,
  OperatingSystemFamily,
  PropagatedTagSource,
} from 'aws-cdk-lib/aws-ecs';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { HEALTH_PORT } from './contract.js';

/** The repository root: its Dockerfile builds the bot's image. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Not part of the image (also in the root .dockerignore, which CDK applies too). */
const IMAGE_EXCLUDES = [
  '.git',
  'node_modules',
  'infra',
  'cdk.out',
  'data',
  'dist',
  'coverage',
  'test',
  'bench',
  'scripts',
  '*.db',
  '*.db-wal',
  '*.db-shm',
];

export interface BreakglassServiceProps {
  vpc: Vpc;
  taskSubnetType: SubnetType;
  assignPublicIp: boolean;
  taskRole: IRole;
  /** Secrets Manager secret name or full ARN; JSON with SLACK_BOT_TOKEN and SLACK_APP_TOKEN */
  slackSecret: string;
  /** non-secret settings for the bot (BREAKGLASS_*, PORT, …) */
  environment: Record<string, string>;
  desiredCount: number;
  logRetention: RetentionDays;
  cpuArchitecture: 'X86_64' | 'ARM64';
  /** directory with the Dockerfile; default the repository root */
  imageDirectory?: string;
}

/** The container's health check: GET /healthz on the bot's port, with Node (the slim image has no curl or wget). */
export const HEALTH_CHECK_COMMAND = [
  'CMD',
  'node',
  '-e',
  `fetch('http://127.0.0.1:${HEALTH_PORT}/healthz',{signal:AbortSignal.timeout(4000)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))`,
];

export class BreakglassService extends Construct {
  readonly cluster: Cluster;
  readonly service: FargateService;
  readonly taskDefinition: FargateTaskDefinition;
  readonly securityGroup: SecurityGroup;
  readonly logGroup: LogGroup;
  readonly slackSecret: ISecret;

  constructor(scope: Construct, id: string, props: BreakglassServiceProps) {
    super(scope, id);
    const arm = props.cpuArchitecture === 'ARM64';

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Audit-trail lines for a SIEM live here too: keep them when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.slackSecret = props.slackSecret.startsWith('arn:')
      ? Secret.fromSecretCompleteArn(this, 'SlackSecret', props.slackSecret)
      : Secret.fromSecretNameV2(this, 'SlackSecret', props.slackSecret);

    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      taskRole: props.taskRole,
      runtimePlatform: {
        operatingSystemFamily: OperatingSystemFamily.LINUX,
        cpuArchitecture: arm ? CpuArchitecture.ARM64 : CpuArchitecture.X86_64,
      },
    });
    // The root filesystem is read-only; tsx (the operator CLI in the image) and
    // os.tmpdir() users need a writable /tmp. The image declares VOLUME /tmp, so
    // the task's volume starts with its mode (1777).
    this.taskDefinition.addVolume({ name: 'tmp' });

    const linuxParameters = new LinuxParameters(this, 'Linux', {
      // No init process: node is PID 1 and gets SIGTERM itself (it finishes running jobs).
      initProcessEnabled: false,
    });
    linuxParameters.dropCapabilities(Capability.ALL);

    const container = this.taskDefinition.addContainer('bot', {
      image: ContainerImage.fromAsset(props.imageDirectory ?? REPO_ROOT, {
        platform: arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
        exclude: IMAGE_EXCLUDES,
      }),
      essential: true,
      readonlyRootFilesystem: true,
      // The official Node image's `node` user; the Dockerfile switches to it too.
      user: '1000:1000',
      linuxParameters,
      environment: { ...props.environment, PORT: String(HEALTH_PORT) },
      secrets: {
        SLACK_BOT_TOKEN: EcsSecret.fromSecretsManager(this.slackSecret, 'SLACK_BOT_TOKEN'),
        SLACK_APP_TOKEN: EcsSecret.fromSecretsManager(this.slackSecret, 'SLACK_APP_TOKEN'),
      },
      logging: LogDrivers.awsLogs({ streamPrefix: 'bot', logGroup: this.logGroup }),
      healthCheck: {
        command: HEALTH_CHECK_COMMAND,
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      // The bot gives running jobs 15 s to finish on SIGTERM before it exits.
      stopTimeout: Duration.seconds(20),
    });
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only non-secret settings (table name, channel and approver ids, durations, region, port); the Slack tokens come from Secrets Manager as ECS secrets.',
    });
    const executionRole = this.taskDefinition.executionRole;
    if (executionRole) {
      Validations.of(executionRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken (added by CDK to pull the image) has no resource-level permissions; every other statement of the execution role names its repository, log group and secret.',
      });
    }

    this.securityGroup = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: props.vpc,
      description: 'breakglass bot: no inbound; outbound HTTPS only (Slack Socket Mode, AWS APIs, ECR)',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to Slack and AWS APIs');

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: props.taskSubnetType },
      assignPublicIp: props.assignPublicIp,
      platformVersion: FargatePlatformVersion.LATEST,
      // Start the new task before stopping the old: Socket Mode allows several
      // connections, and the DynamoDB store's leases keep two replicas apart.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      enableExecuteCommand: false,
      propagateTags: PropagatedTagSource.SERVICE,
    });
  }
}
