/**
 * A break-glass request and its life, as pure data and pure transitions.
 * No Slack, AWS or storage here: the workflow layer applies these decisions.
 */

export const TASK_KINDS = ['password-recovery', 'unlock-s3', 'unlock-sqs', 'delete-credentials'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_LABELS: Record<TaskKind, string> = {
  'password-recovery': 'Allow root password recovery',
  'unlock-s3': 'Unlock S3 bucket policy',
  'unlock-sqs': 'Unlock SQS queue policy',
  'delete-credentials': 'Delete root credentials',
};

/** Only password recovery opens a window (the requester signs in as root); the others are one-shot. */
export function opensWindow(task: TaskKind): boolean {
  return task === 'password-recovery';
}

export type RequestState =
  | 'pending' // waiting for two approvals
  | 'executing' // approved; the task is running
  | 'active' // root access granted until windowEndsAt
  | 'cleaning' // deleting root credentials and verifying
  | 'closed' // cleanup verified
  | 'completed' // a one-shot task finished
  | 'failed' // the task failed and granted nothing
  | 'denied'
  | 'expired'
  | 'cancelled';

export const FINAL_STATES: ReadonlySet<RequestState> = new Set([
  'closed',
  'completed',
  'failed',
  'denied',
  'expired',
  'cancelled',
]);

export interface Approval {
  userId: string;
  at: number;
}

export interface BreakglassRequest {
  id: string;
  requesterId: string;
  accountId: string;
  accountName: string;
  task: TaskKind;
  /** bucket name or queue URL for unlock tasks */
  target?: string;
  /** length of the root window for password recovery */
  durationSeconds: number;
  justification: string;
  link?: string;
  createdAt: number;
  state: RequestState;
  approvals: Approval[];
  denial?: { userId: string; reason: string; at: number };
  grantedAt?: number;
  windowEndsAt?: number;
  /** the target's current state, shown to approvers before they approve */
  preview?: RequestPreview;
  /** result of the task, as shown in Slack */
  outcome?: { ok: boolean; summary: string; at: number };
  /** execute attempts started; after the first, a failure can no longer prove nothing was granted */
  executeAttempts?: number;
  /** when the first execute attempt started: a grant re-run after a crash keeps this window */
  firstExecuteAt?: number;
  /**
   * Bumped when a grant lands after cleanup began: a cleanup that started in an
   * earlier round must not close the window, since it may have verified before the grant.
   */
  cleanupRound?: number;
  /** why the bot cancelled the request itself (e.g. Slack refused to post it) */
  cancelReason?: string;
  /** who cancelled a pending request with `/breakglass cancel` (the requester: a withdrawal) */
  cancelledBy?: { userId: string; at: number };
  /** who ended the window before its end (Done, or `/breakglass cancel` on an open window) */
  endedEarly?: { userId: string; at: number };
  /** an extension the requester asked for, waiting for one approver */
  extensionRequest?: ExtensionAsk;
  cleanup?: {
    failures: number;
    lastError?: string;
    alerted?: boolean;
    summary?: string;
    verifiedAt?: number;
  };
  /** what the request shows approvers; approvals bind to it */
  contentHash: string;
  /**
   * For unlocks: sha256 of the policy approvers saw (null: there was none), set by
   * the preview. The unlock removes the live policy only if it still has this hash.
   */
  policyHash?: string | null;
  /**
   * The approver rule of the policy file (BREAKGLASS_POLICY) that applied when the
   * request was made; its approvers decide it. Absent: no policy file, or a request
   * stored before routing existed: the configured BREAKGLASS_APPROVERS decide.
   */
  route?: RequestRoute;
}

/** The rule a request was routed by, as stored with it: later policy edits do not change who decides it. */
export interface RequestRoute {
  /** the rule's name; "default" for BREAKGLASS_APPROVERS */
  rule: string;
  /** what matched: the account itself, or the OU (or root) it sits under; absent for the default rule */
  matched?: { kind: 'account' | 'ou'; id: string };
  /** user (U…/W…) and user-group (S…) ids who may approve, deny and extend */
  approvers: string[];
  /** durations the rule allows: an extension never takes the window past the longest */
  durationsSeconds: number[];
}

/** An extension ask. Its buttons carry `seconds` and `nonce`; a click binds to exactly this ask. */
export interface ExtensionAsk {
  seconds: number;
  at: number;
  /** random, new for every ask: a click on an older ask's button cannot decide this one */
  nonce: string;
}

/** What an extension button says it decides: the ask it was rendered for. */
export interface ExtensionClick {
  seconds: number;
  nonce: string;
}

/** One root credential as the audit session saw it, with the dates AWS gives (ISO 8601). */
export interface CredentialItem {
  kind: 'password' | 'access-key' | 'signing-certificate' | 'mfa-device';
  /** access key id, certificate id or MFA serial number */
  id?: string;
  /** Active / Inactive, for keys and certificates */
  status?: string;
  /** created (password, key), uploaded (certificate) or enabled (MFA device) */
  createdAt?: string;
  lastUsedAt?: string;
  /** for an access key: the service and region of its last use */
  lastUsedWhere?: string;
}

export interface RequestPreview {
  status: 'loading' | 'ready' | 'failed';
  /** e.g. "no root credentials" or "password, 1 access key" */
  rootCredentials?: string;
  /** each root credential present now, with its dates */
  credentials?: CredentialItem[];
  /** password recovery: the root user's email (from Organizations); whoever reads it can sign in */
  rootEmail?: string;
  /** for unlocks: the policy that will be removed (null: there is none) */
  policy?: string | null;
  /**
   * SQS unlocks: when the queue was last changed (GetQueueAttributes
   * LastModifiedTimestamp, ISO 8601), a bound on the policy's last change. S3 gives no date.
   */
  queueLastModifiedAt?: string;
  error?: string;
}

/** The fields approvers see; a change to any of them invalidates earlier approvals. */
export function approvalContent(r: BreakglassRequest): unknown[] {
  return [
    r.id,
    r.requesterId,
    r.accountId,
    r.accountName,
    r.task,
    r.target ?? null,
    r.durationSeconds,
    r.justification,
    r.link ?? null,
    r.preview?.status ?? null,
    r.preview?.rootCredentials ?? null,
    r.preview?.policy ?? null,
    r.preview?.error ?? null,
    r.preview?.credentials ?? null,
    r.preview?.rootEmail ?? null,
    // Only when routed, so that the hash of a request stored before routing stays the same.
    ...(r.route ? [r.route.rule, r.route.matched ?? null, r.route.approvers] : []),
    // Only when known, for the same reason.
    ...(r.preview?.queueLastModifiedAt ? [{ queueLastModifiedAt: r.preview.queueLastModifiedAt }] : []),
  ];
}

export const REQUIRED_APPROVALS = 2;

/**
 * The state's name as people should read it: a request its requester denied or
 * cancelled while it was pending was withdrawn, not denied or cancelled.
 */
export function stateName(r: BreakglassRequest): RequestState | 'withdrawn' {
  if (r.state === 'denied' && r.denial?.userId === r.requesterId) return 'withdrawn';
  if (r.state === 'cancelled' && r.cancelledBy?.userId === r.requesterId) return 'withdrawn';
  return r.state;
}

/**
 * Why someone who may not decide is refused: "only approvers can <action>", and
 * for a routed request the rule whose approvers decide it.
 */
export function onlyApprovers(request: BreakglassRequest, action: string): string {
  const rule = request.route ? `; you are not an approver under rule ${request.route.rule}` : '';
  return `only approvers can ${action}${rule}`;
}

export type ApprovalDecision =
  | { kind: 'recorded'; approvals: Approval[]; complete: boolean }
  | { kind: 'duplicate' }
  | { kind: 'refused'; reason: string };

/** What the two-person rule needs of anything approved: a break-glass request or a bulk hardening. */
export interface TwoPersonSubject {
  /** still waiting for approvals */
  pending: boolean;
  /** the state as people read it, for "this request is already …" */
  stateLabel: string;
  requesterId: string;
  approvals: readonly Approval[];
  contentHash: string;
  /** who decides it, for the refusal: "under rule …" (absent: the configured approvers) */
  ruleLabel?: string;
}

/**
 * The two-person rule: two different approvers, never the requester, on the
 * exact content they saw. A second click by the same person counts once.
 */
export function decideTwoPersonApproval(
  subject: TwoPersonSubject,
  userId: string,
  context: { isApprover: boolean; contentHash: string; now: number },
): ApprovalDecision {
  if (!subject.pending) return { kind: 'refused', reason: `this request is already ${subject.stateLabel}` };
  if (userId === subject.requesterId)
    return { kind: 'refused', reason: 'you cannot approve your own request' };
  if (!context.isApprover)
    return {
      kind: 'refused',
      reason: `you are not an approver ${subject.ruleLabel ? `under ${subject.ruleLabel}` : 'for break-glass requests'}`,
    };
  if (context.contentHash !== subject.contentHash) {
    return {
      kind: 'refused',
      reason: 'this request changed since you saw it; look at the current message again',
    };
  }
  if (subject.approvals.some((a) => a.userId === userId)) return { kind: 'duplicate' };
  const approvals = [...subject.approvals, { userId, at: context.now }];
  return { kind: 'recorded', approvals, complete: approvals.length >= REQUIRED_APPROVALS };
}

/** The two-person rule for a break-glass request (see decideTwoPersonApproval). */
export function decideApproval(
  request: BreakglassRequest,
  userId: string,
  context: { isApprover: boolean; contentHash: string; now: number },
): ApprovalDecision {
  return decideTwoPersonApproval(
    {
      pending: request.state === 'pending',
      stateLabel: stateName(request),
      requesterId: request.requesterId,
      approvals: request.approvals,
      contentHash: request.contentHash,
      ...(request.route ? { ruleLabel: `rule ${request.route.rule}` } : {}),
    },
    userId,
    context,
  );
}

/** Who may deny: approvers and the requester (withdrawing), while the request is pending. */
export function decideDenial(
  request: BreakglassRequest,
  userId: string,
  context: { isApprover: boolean; reason: string },
): { ok: true } | { ok: false; reason: string } {
  if (request.state !== 'pending')
    return { ok: false, reason: `this request is already ${stateName(request)}` };
  if (!context.isApprover && userId !== request.requesterId) {
    return { ok: false, reason: onlyApprovers(request, 'deny break-glass requests') };
  }
  if (!context.reason.trim()) return { ok: false, reason: 'give a reason for the denial' };
  return { ok: true };
}

/** A window, extensions included, never lasts longer than the longest configured duration. */
export function longestWindowSeconds(durationsSeconds: readonly number[]): number {
  return Math.max(...durationsSeconds);
}

/** The length rule alone: extended, the window stays within the longest allowed duration. */
export function extensionFits(
  request: BreakglassRequest,
  extraSeconds: number,
  maxTotalSeconds: number,
): boolean {
  if (request.grantedAt === undefined || request.windowEndsAt === undefined) return false;
  return (request.windowEndsAt - request.grantedAt) / 1000 + extraSeconds <= maxTotalSeconds;
}

/**
 * Extensions need a fresh approval, only while the window is still open (a
 * window past its end is over even before the cleanup job has run), and never
 * take the window past the longest allowed duration.
 */
export function decideExtension(
  request: BreakglassRequest,
  extraSeconds: number,
  context: { maxTotalSeconds: number; now: number },
): { ok: true; windowEndsAt: number } | { ok: false; reason: string } {
  if (request.state !== 'active' || request.grantedAt === undefined || request.windowEndsAt === undefined) {
    return { ok: false, reason: `only an active window can be extended (this one is ${request.state})` };
  }
  if (context.now >= request.windowEndsAt) return { ok: false, reason: 'the window has already ended' };
  if (!extensionFits(request, extraSeconds, context.maxTotalSeconds)) {
    return { ok: false, reason: 'the window would exceed the longest allowed duration' };
  }
  return { ok: true, windowEndsAt: request.windowEndsAt + extraSeconds * 1000 };
}

/** The requester asks for more time: one ask at a time, and only one the approver could grant. */
export function decideExtensionAsk(
  request: BreakglassRequest,
  userId: string,
  seconds: number,
  context: { maxTotalSeconds: number; now: number },
): { ok: true } | { ok: false; reason: string } {
  if (userId !== request.requesterId)
    return { ok: false, reason: 'only the requester can ask for more time' };
  if (request.extensionRequest) return { ok: false, reason: 'an extension is already waiting for approval' };
  const check = decideExtension(request, seconds, context);
  return check.ok ? { ok: true } : check;
}

/** The pending ask, if the click was made on its buttons; else why the click decides nothing. */
function askClicked(
  request: BreakglassRequest,
  click: ExtensionClick,
): { ok: true; ask: ExtensionAsk } | { ok: false; reason: string } {
  const ask = request.extensionRequest;
  if (!ask) return { ok: false, reason: 'there is no extension waiting for approval' };
  if (ask.nonce !== click.nonce || ask.seconds !== click.seconds) {
    return {
      ok: false,
      reason:
        'that button belongs to an extension ask that is no longer waiting; use the buttons of the current ask',
    };
  }
  return { ok: true, ask };
}

/** One approver, never the requester, approves exactly the ask they clicked on, while the window is open. */
export function decideExtensionApproval(
  request: BreakglassRequest,
  userId: string,
  click: ExtensionClick,
  context: { isApprover: boolean; maxTotalSeconds: number; now: number },
): { ok: true; windowEndsAt: number } | { ok: false; reason: string } {
  if (userId === request.requesterId) return { ok: false, reason: 'you cannot approve your own extension' };
  if (!context.isApprover)
    return {
      ok: false,
      reason: `you are not an approver${request.route ? ` under rule ${request.route.rule}` : ''}`,
    };
  const clicked = askClicked(request, click);
  if (!clicked.ok) return clicked;
  return decideExtension(request, clicked.ask.seconds, context);
}

/** An approver (not the requester, who withdraws instead) declines the ask they clicked on, with a reason. */
export function decideExtensionDecline(
  request: BreakglassRequest,
  userId: string,
  click: ExtensionClick,
  context: { isApprover: boolean; reason: string },
): { ok: true } | { ok: false; reason: string } {
  if (userId === request.requesterId)
    return { ok: false, reason: 'you cannot decline your own ask; withdraw it instead' };
  if (!context.isApprover) return { ok: false, reason: onlyApprovers(request, 'decline an extension') };
  const clicked = askClicked(request, click);
  if (!clicked.ok) return clicked;
  if (!context.reason.trim()) return { ok: false, reason: 'give a reason for declining' };
  return { ok: true };
}

/** The requester withdraws the ask they clicked on. */
export function decideExtensionWithdrawal(
  request: BreakglassRequest,
  userId: string,
  click: ExtensionClick,
): { ok: true } | { ok: false; reason: string } {
  if (userId !== request.requesterId)
    return { ok: false, reason: 'only the requester can withdraw their ask' };
  const clicked = askClicked(request, click);
  return clicked.ok ? { ok: true } : clicked;
}

const TRANSITIONS: Record<RequestState, readonly RequestState[]> = {
  pending: ['executing', 'denied', 'expired', 'cancelled'],
  executing: ['active', 'completed', 'failed', 'cleaning'],
  active: ['cleaning'],
  cleaning: ['closed'],
  // A grant that landed after its fallback cleanup had verified (or after an older
  // attempt gave up): clean up again.
  closed: ['cleaning'],
  completed: [],
  failed: ['cleaning'],
  denied: [],
  expired: [],
  cancelled: [],
};

export function canTransition(from: RequestState, to: RequestState): boolean {
  return TRANSITIONS[from].includes(to);
}
