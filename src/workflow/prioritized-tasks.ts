/**
 * Root tasks run as priority work: each call is counted by the PriorityGate
 * while it runs, so bulk work (org-wide audits) shrinks meanwhile and a grant
 * or a cleanup never queues behind an audit of the whole organization.
 */
import type { PriorityGate } from '../aws/priority.js';
import type { RootTasks } from './ports.js';

export function prioritizedTasks(tasks: RootTasks, gate: PriorityGate): RootTasks {
  return {
    auditRootCredentials: (accountId) => gate.run(() => tasks.auditRootCredentials(accountId)),
    allowPasswordRecovery: (accountId) => gate.run(() => tasks.allowPasswordRecovery(accountId)),
    deleteRootCredentials: (accountId, options) =>
      gate.run(() => tasks.deleteRootCredentials(accountId, options)),
    unlockS3BucketPolicy: (accountId, bucket, hash) =>
      gate.run(() => tasks.unlockS3BucketPolicy(accountId, bucket, hash)),
    unlockSqsQueuePolicy: (accountId, queueUrl, hash) =>
      gate.run(() => tasks.unlockSqsQueuePolicy(accountId, queueUrl, hash)),
    readPolicy: (accountId, task, target) => gate.run(() => tasks.readPolicy(accountId, task, target)),
  };
}
