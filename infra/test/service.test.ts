import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { HEALTH_PORT } from '../lib/contract.js';
import { REPO_ROOT } from '../lib/service.js';
import { synth } from './synth.js';

const SLOW = { timeout: 60_000 };
const { template, outdir, stack } = synth();

interface ContainerDefinition {
  User: string;
  ReadonlyRootFilesystem: boolean;
  Privileged?: boolean;
  LinuxParameters: { Capabilities: { Drop: string[] } };
  MountPoints: unknown[];
  PortMappings?: unknown[];
  HealthCheck: { Command: string[] };
  Environment: { Name: string; Value: unknown }[];
  Secrets: { Name: string; ValueFrom: unknown }[];
  LogConfiguration: { LogDriver: string };
}

function container(): ContainerDefinition {
  const definitions = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  expect(definitions).toHaveLength(1);
  const containers = definitions[0]?.Properties.ContainerDefinitions as ContainerDefinition[];
  expect(containers).toHaveLength(1);
  return containers[0] as ContainerDefinition;
}

describe('network: nothing gets in', () => {
  test('the security group has no inbound rule and allows outbound HTTPS only', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    expect(Object.keys(groups)).toHaveLength(1);
    const group = Object.values(groups)[0]?.Properties;
    expect(group.SecurityGroupIngress ?? []).toEqual([]);
    expect(group.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('no load balancer, no listener, no port mapping', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancing::LoadBalancer', 0);
    expect(container().PortMappings ?? []).toEqual([]);
    for (const service of Object.values(template.findResources('AWS::ECS::Service'))) {
      expect(service.Properties.LoadBalancers ?? []).toEqual([]);
    }
  });

  test('private mode: tasks in private subnets without public IP, one NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
  });

  test('public mode: a public IP per task, no NAT gateway', SLOW, () => {
    const pub = synth({ network: 'public' });
    pub.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    pub.template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
  });

  test('the VPC keeps flow logs', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
  });
});

describe('the container', () => {
  test('runs on a read-only root filesystem as a non-root user, with a writable /tmp volume', () => {
    const c = container();
    expect(c.ReadonlyRootFilesystem).toBe(true);
    expect(c.User).toBe('1000:1000');
    expect(String(c.User).split(':')[0]).not.toMatch(/^(0|root)$/);
    expect(c.Privileged).toBeUndefined();
    expect(c.LinuxParameters.Capabilities.Drop).toEqual(['ALL']);
    expect(c.MountPoints).toEqual([{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }]);
  });

  test('the image drops root and runs node dist/main.js directly', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-slim$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(dockerfile).not.toMatch(/^ENTRYPOINT/m);
  });

  test('checks GET /healthz on the port the bot serves', () => {
    const c = container();
    expect(c.HealthCheck.Command.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(c.HealthCheck.Command[3]).toContain(`http://127.0.0.1:${HEALTH_PORT}/healthz`);
    expect(c.Environment).toContainEqual({ Name: 'PORT', Value: String(HEALTH_PORT) });
  });

  test('gets the Slack tokens from Secrets Manager, never in plain environment', () => {
    const c = container();
    expect(c.Secrets.map((s) => s.Name).sort()).toEqual(['SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN']);
    for (const s of c.Secrets) expect(JSON.stringify(s.ValueFrom)).toContain(':secretsmanager:');
    const names = c.Environment.map((e) => e.Name);
    expect(names.filter((n) => /TOKEN|SECRET/.test(n))).toEqual([]);
  });

  test('is configured for the DynamoDB store and the settings from context', () => {
    const env = Object.fromEntries(container().Environment.map((e) => [e.Name, e.Value]));
    expect(env).toMatchObject({
      BREAKGLASS_STORE: 'dynamodb',
      BREAKGLASS_TABLE: { Ref: stack.getLogicalId(stack.table.table.node.defaultChild as never) },
      BREAKGLASS_CHANNEL_ID: 'C0123ABCD',
      BREAKGLASS_APPROVERS: 'U0AAAAAAA,U0BBBBBBB',
      BREAKGLASS_DURATIONS: '30m,1h,2h,4h',
      AWS_REGION: 'eu-west-1',
      DRY_RUN: 'false',
    });
  });

  test('logs to a log group with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    expect(container().LogConfiguration.LogDriver).toBe('awslogs');
  });

  test('the image asset is the repository root without infra/, node_modules or tests', () => {
    const assets = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.assets.json`), 'utf8'));
    const images = Object.values(assets.dockerImages ?? {}) as { source: { directory: string } }[];
    expect(images).toHaveLength(1);
    const staged = join(outdir, images[0]?.source.directory ?? '');
    const entries = readdirSync(staged);
    expect(entries).toEqual(
      expect.arrayContaining(['Dockerfile', 'package.json', 'package-lock.json', 'src', 'bin']),
    );
    for (const absent of ['infra', 'node_modules', 'test', '.git', 'data', 'dist']) {
      expect(existsSync(join(staged, absent)), absent).toBe(false);
    }
  });
});

describe('the service', () => {
  test('runs one task by default, two on request, and replaces tasks start-first', SLOW, () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      LaunchType: 'FARGATE',
      EnableExecuteCommand: false,
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
    synth({ desiredCount: '2' }).template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2 });
  });

  test('the cluster has Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});
