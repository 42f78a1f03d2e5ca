#!/usr/bin/env node
/** `cdk synth` / `cdk deploy` entry point (cdk.json: `npx tsx bin/app.ts`). Settings: see infra/README.md. */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app.js';
import { SettingsError } from '../lib/settings.js';

const app = new App();
try {
  buildApp(app);
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
app.synth();
