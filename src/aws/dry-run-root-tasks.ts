/**
 * DRY_RUN=true: every root task is logged and skipped. Results look like a clean
 * success so the whole Slack workflow can be rehearsed; messages say "dry run".
 */
import type { Logger } from '../log.js';
import type { RootTasks } from '../workflow/ports.js';
import type { DeletionResult, PolicyUnlockResult, RootCredentialAudit } from './root-task-results.js';

const NO_EVIDENCE = { requestIds: [], rootSessions: [] };

export class DryRunRootTasks implements RootTasks {
  constructor(private readonly log: Logger) {}

  async auditRootCredentials(accountId: string): Promise<RootCredentialAudit> {
    this.skip('auditRootCredentials', { accountId });
    const summary = { password: false, accessKeys: false, signingCertificates: false, mfa: false };
    return {
      accountId,
      anyPresent: false,
      summary,
      passwordPresent: false,
      accessKeys: [],
      signingCertificates: [],
      mfaDevices: [],
      evidence: NO_EVIDENCE,
    };
  }

  async allowPasswordRecovery(accountId: string) {
    this.skip('allowPasswordRecovery', { accountId });
    return { accountId, created: true, evidence: NO_EVIDENCE };
  }

  async deleteRootCredentials(accountId: string): Promise<DeletionResult> {
    this.skip('deleteRootCredentials', { accountId });
    const removed = { loginProfile: false, accessKeys: [], signingCertificates: [], mfaDevices: [] };
    const remaining = { password: false, accessKeys: false, signingCertificates: false, mfa: false };
    return { accountId, removed, verified: true, remaining, errors: [], evidence: NO_EVIDENCE };
  }

  async unlockS3BucketPolicy(
    accountId: string,
    bucket: string,
    expectedPolicyHash: string | null,
  ): Promise<PolicyUnlockResult> {
    this.skip('unlockS3BucketPolicy', { accountId, bucket, expectedPolicyHash: String(expectedPolicyHash) });
    return { accountId, resource: bucket, previousPolicy: null, removed: false, evidence: NO_EVIDENCE };
  }

  async unlockSqsQueuePolicy(
    accountId: string,
    queueUrl: string,
    expectedPolicyHash: string | null,
  ): Promise<PolicyUnlockResult> {
    this.skip('unlockSqsQueuePolicy', {
      accountId,
      queueUrl,
      expectedPolicyHash: String(expectedPolicyHash),
    });
    return { accountId, resource: queueUrl, previousPolicy: null, removed: false, evidence: NO_EVIDENCE };
  }

  async readPolicy(accountId: string, task: string, target: string) {
    this.skip('readPolicy', { accountId, task, target });
    return { policy: null, evidence: NO_EVIDENCE };
  }

  private skip(operation: string, args: Record<string, string>): void {
    this.log.info({ dryRun: true, operation, ...args }, `DRY RUN: skipped ${operation}`);
  }
}
