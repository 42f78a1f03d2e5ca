/** What a (re-)loaded preview does to a request. Pure apart from hashing. */
import { contentHash, policyHash } from './content-hash.js';
import type { Approval, BreakglassRequest, RequestPreview } from './request.js';

/**
 * The request with its new preview, content hash and, for unlocks, the hash of
 * the policy approvers now see. When the content hash changes, earlier approvals
 * are cleared: those approvers approved something else.
 */
export function withPreview(
  request: BreakglassRequest,
  preview: RequestPreview,
): { request: BreakglassRequest; clearedApprovals: Approval[] } {
  const { policyHash: _, ...rest } = request;
  const unlock = request.task === 'unlock-s3' || request.task === 'unlock-sqs';
  const draft: BreakglassRequest =
    unlock && preview.status === 'ready'
      ? { ...rest, preview, policyHash: policyHash(preview.policy ?? null) }
      : { ...rest, preview };
  const hash = contentHash(draft);
  const changed = hash !== request.contentHash;
  return {
    request: { ...draft, contentHash: hash, approvals: changed ? [] : request.approvals },
    clearedApprovals: changed ? request.approvals : [],
  };
}
