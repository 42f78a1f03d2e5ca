import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, test } from 'vitest';
import { buildApp } from '../lib/app.js';
import { cdkJsonContext, synth } from './synth.js';

const SLOW = { timeout: 60_000 };

interface Report {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity?: string; violatingConstructs?: { constructPath: string }[] }[];
  }[];
}

describe('cdk-nag AwsSolutions at synth', () => {
  test('the stack synthesizes with the checks and no unacknowledged finding', SLOW, () => {
    // synth() runs app.synth(): an unacknowledged error would throw here
    const { outdir } = synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
    const findings = report.pluginReports.flatMap((p) =>
      p.violations.map((v) => ({ plugin: p.pluginName, rule: v.ruleName, severity: v.severity })),
    );
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    // warnings too: every nag finding is fixed or acknowledged, and this context is not the example one
    expect(findings).toEqual([]);
  });

  test('every variant synthesizes clean too', SLOW, () => {
    expect(() =>
      synth({ network: 'public', customerManagedKey: true, alarmEmail: 'a@example.com', desiredCount: 2 }),
    ).not.toThrow();
    expect(() =>
      synth({
        cpuArchitecture: 'ARM64',
        slackSecret: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:breakglass/slack-AbCdEf',
      }),
    ).not.toThrow();
  });

  test('the checks do run: an unacknowledged wildcard fails synth with AwsSolutions-IAM5', SLOW, () => {
    const app = new App({
      context: { ...cdkJsonContext(), account: '111122223333', region: 'eu-west-1', channelId: 'C0123ABCD' },
    });
    const stack: Stack = buildApp(app);
    const role = new Role(stack, 'Careless', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
    role.attachInlinePolicy(
      new Policy(stack, 'CarelessPolicy', {
        statements: [new PolicyStatement({ actions: ['s3:*'], resources: ['*'] })],
      }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });

  test('the example context of cdk.json synthesizes, with a warning to replace it', SLOW, () => {
    const app = new App({ context: { ...cdkJsonContext(), account: '111122223333', region: 'eu-west-1' } });
    buildApp(app);
    const assembly = app.synth();
    const messages = assembly
      .getStackArtifact('Breakglass')
      .messages.map((m) => `${m.level}: ${m.entry.data}`);
    expect(messages.join('\n')).toMatch(/warning: channelId is the example/);
  });
});
