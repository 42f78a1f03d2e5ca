/** Test helpers: synthesize the app exactly as `cdk synth` does (cdk.json's context and feature flags). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app.js';
import type { BreakglassStack } from '../lib/breakglass-stack.js';

export const INFRA_DIR = join(import.meta.dirname, '..');

export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(INFRA_DIR, 'cdk.json'), 'utf8')).context;
}

export interface Synthesized {
  app: App;
  stack: BreakglassStack;
  template: Template;
  outdir: string;
}

/** A deployable context: cdk.json's with real-looking ids, then the overrides. */
export function synth(overrides: Record<string, unknown> = {}, options: { nag?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'breakglass-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      account: '111122223333',
      region: 'eu-west-1',
      channelId: 'C0123ABCD',
      approvers: 'U0AAAAAAA,U0BBBBBBB',
      ...overrides,
    },
  });
  const stack = buildApp(app, options);
  app.synth();
  return { app, stack, template: Template.fromStack(stack), outdir };
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every policy statement anywhere in the template (IAM, key, topic and trust policies), with where it is. */
export function allStatements(template: Template): { logicalId: string; statement: Statement }[] {
  const found: { logicalId: string; statement: Statement }[] = [];
  const walk = (logicalId: string, node: unknown) => {
    if (Array.isArray(node)) {
      for (const item of node) walk(logicalId, item);
    } else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (Array.isArray(record.Statement)) {
        for (const statement of record.Statement)
          found.push({ logicalId, statement: statement as Statement });
      }
      for (const value of Object.values(record)) walk(logicalId, value);
    }
  };
  for (const [logicalId, resource] of Object.entries(template.toJSON().Resources ?? {}))
    walk(logicalId, resource);
  return found;
}

export const asList = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** IAM's action matching: `*` and `?` wildcards, case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return regex.test(action);
}

interface PolicyDoc {
  Statement?: Statement[];
}

interface TemplateResource {
  Type: string;
  Properties?: { Policies?: { PolicyDocument: PolicyDoc }[]; PolicyDocument?: PolicyDoc };
}

/** Statements in IAM identity policies (roles, policies, managed policies): what principals of this stack may do. */
export function identityStatements(template: Template): { logicalId: string; statement: Statement }[] {
  const resources = (template.toJSON().Resources ?? {}) as Record<string, TemplateResource>;
  const out: { logicalId: string; statement: Statement }[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    const docs: (PolicyDoc | undefined)[] = [];
    if (resource.Type === 'AWS::IAM::Role') {
      docs.push(...(resource.Properties?.Policies ?? []).map((p) => p.PolicyDocument));
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      docs.push(resource.Properties?.PolicyDocument);
    }
    for (const doc of docs) for (const statement of doc?.Statement ?? []) out.push({ logicalId, statement });
  }
  return out;
}
