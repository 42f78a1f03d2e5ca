/**
 * Builds the app: the stack from the context's settings, with cdk-nag's
 * AwsSolutions checks as a synth-time validation plugin (cdk-nag 3.x: an
 * unacknowledged error fails `cdk synth`; findings go to the validation report).
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BreakglassStack } from './breakglass-stack.js';
import { readSettings } from './settings.js';

export interface BuildOptions {
  /** directory with the bot's Dockerfile; default the repository root */
  imageDirectory?: string;
  /** default true */
  nag?: boolean;
}

export function buildApp(app: App, options: BuildOptions = {}): BreakglassStack {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const stack = new BreakglassStack(app, settings.stackName, {
    settings,
    description: 'breakglass: Slack bot for AWS root break-glass (ECS Fargate, Socket Mode, DynamoDB)',
    env: {
      account: settings.account ?? process.env.CDK_DEFAULT_ACCOUNT,
      region: settings.region ?? process.env.CDK_DEFAULT_REGION,
    },
    ...(options.imageDirectory ? { imageDirectory: options.imageDirectory } : {}),
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
