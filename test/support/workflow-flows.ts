/** Steps of the workflow that many tests take: submit, read back, approve twice. */
import { expect } from 'vitest';
import type { BreakglassRequest, ExtensionClick } from '../../src/domain/request.js';
import type { StoredRequest } from '../../src/store/store.js';
import type { RequestInput } from '../../src/workflow/request-actions.js';
import { APPROVER_A, APPROVER_B, REQUESTER, type WorkflowEnv } from './workflow-env.js';

/** Submits a password-recovery request (unless overridden) and runs its preview. */
export async function submitRequest(
  env: WorkflowEnv,
  accountId: string,
  overrides: Partial<RequestInput> = {},
): Promise<BreakglassRequest> {
  const result = await env.workflow.actions.submit({
    requesterId: REQUESTER,
    accountId,
    task: 'password-recovery',
    durationSeconds: 3600,
    justification: 'Locked out of the billing console',
    ...overrides,
  });
  if (!result.ok || !('request' in result)) throw new Error(JSON.stringify(result));
  await env.runDue(); // posts the message and loads the preview
  return (await currentRequest(env, result.request.id)).request;
}

export async function currentRequest(env: WorkflowEnv, id: string): Promise<StoredRequest> {
  const stored = await env.store.getRequest(id);
  if (!stored) throw new Error(`no ${id}`);
  return stored;
}

/** Both approvers approve; runs what that makes due unless `run` is false. */
export async function approveByBoth(env: WorkflowEnv, r: BreakglassRequest, run = true): Promise<void> {
  expect((await env.workflow.actions.approve(r.id, APPROVER_A, r.contentHash)).ok).toBe(true);
  expect((await env.workflow.actions.approve(r.id, APPROVER_B, r.contentHash)).ok).toBe(true);
  if (run) await env.runDue();
}

/** What the buttons of the request's pending extension ask carry. */
export async function pendingAsk(env: WorkflowEnv, id: string): Promise<ExtensionClick> {
  const ask = (await currentRequest(env, id)).request.extensionRequest;
  if (!ask) throw new Error(`${id} has no pending extension ask`);
  return { seconds: ask.seconds, nonce: ask.nonce };
}
