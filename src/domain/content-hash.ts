import { createHash } from 'node:crypto';
import { approvalContent, type BreakglassRequest } from './request.js';

/** Short digest of what approvers see; buttons carry it and approvals must match it. */
export function contentHash(request: BreakglassRequest): string {
  return createHash('sha256')
    .update(JSON.stringify(approvalContent(request)))
    .digest('base64url')
    .slice(0, 16);
}

/** sha256 (hex) of a policy's exact text (as UTF-8, Node's default for strings); null for no policy. An unlock binds to it. */
export function policyHash(policy: string | null): string | null {
  return policy === null ? null : createHash('sha256').update(policy).digest('hex');
}
