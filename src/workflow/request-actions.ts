/** What people do to a request: submit, approve, deny, cancel, finish early, extend. */
import { randomBytes } from 'node:crypto';
import { checkBucketName, checkQueueUrl } from '../domain/aws-identifiers.js';
import { contentHash } from '../domain/content-hash.js';
import { formatDuration } from '../domain/durations.js';
import { checkIncidentLink } from '../domain/incident-link.js';
import type { Delivery, Notice } from '../domain/notice.js';
import { type EffectiveRule, refusedChoice, routeOf } from '../domain/policy.js';
import { withPreview } from '../domain/preview.js';
import {
  type BreakglassRequest,
  decideApproval,
  decideDenial,
  decideExtensionApproval,
  decideExtensionAsk,
  decideExtensionDecline,
  decideExtensionWithdrawal,
  type ExtensionClick,
  opensWindow,
  REQUIRED_APPROVALS,
  type RequestRoute,
  stateName,
  TASK_KINDS,
  type TaskKind,
} from '../domain/request.js';
import { pendingSchedule, reminderAt } from '../domain/schedule.js';
import { newRequestId, type Reply, UPDATE_MESSAGE, type WorkflowCore } from './core.js';

export interface RequestInput {
  requesterId: string;
  accountId: string;
  task: string;
  target?: string;
  durationSeconds?: number;
  justification: string;
  link?: string;
}

export type RequestField = 'account' | 'task' | 'duration' | 'target' | 'justification' | 'link';

export type SubmitResult =
  | { ok: true; request: BreakglassRequest }
  /** the same submission arrived before (a Slack retry) and was already stored */
  | { ok: true; duplicate: true }
  | { ok: false; errors: Partial<Record<RequestField, string>> };

/**
 * A reply that also gives the request as the change left it, so the Slack layer
 * can replace the message whose buttons no longer apply with what happened.
 */
export type ChangeReply =
  | { ok: true; text: string; request: BreakglassRequest }
  | { ok: false; text: string };

const MAX_JUSTIFICATION = 2000;

export class RequestActions {
  constructor(private readonly core: WorkflowCore) {}

  private get deps() {
    return this.core.deps;
  }

  /**
   * Validates and stores a new request. Posting it to Slack and loading what
   * approvers must see happen in the durable `preview` job.
   */
  async submit(input: RequestInput, dedupeKey?: string): Promise<SubmitResult> {
    const errors: Partial<Record<RequestField, string>> = {};
    if (!(await this.deps.auth.mayRequest(input.requesterId))) {
      errors.account = 'You are not on the list of people who may request break-glass access.';
      return { ok: false, errors };
    }
    // With a policy file, what any rule offers; the chosen account's rule is checked below.
    const choices = this.deps.routing?.choices;
    const offered = choices?.tasks ?? this.deps.settings.tasks ?? TASK_KINDS;
    const task = offered.find((t) => t === input.task);
    if (!task) errors.task = 'Choose one of the tasks offered.';
    const account = await this.deps.accounts.targetable(input.accountId);
    if (!account.ok) errors.account = account.reason;
    const target = task ? checkTarget(task, input.target, input.accountId) : undefined;
    if (target && !target.ok) errors.target = target.reason;
    const durations = choices?.durationsSeconds ?? this.deps.settings.durationsSeconds;
    const durationSeconds = input.durationSeconds ?? durations[0] ?? 3600;
    if (task && opensWindow(task) && !durations.includes(durationSeconds)) {
      errors.duration = `Choose one of ${durations.map(formatDuration).join(', ')}.`;
    }
    const justification = input.justification.trim();
    if (!justification) errors.justification = 'Say why root access is needed.';
    if (justification.length > MAX_JUSTIFICATION)
      errors.justification = `Keep it under ${MAX_JUSTIFICATION} characters.`;
    const checkedLink = checkIncidentLink(input.link);
    if (!checkedLink.ok) errors.link = checkedLink.reason;
    const link = checkedLink.ok ? checkedLink.link : undefined;
    const route = account.ok
      ? await this.route(input.requesterId, account.account.id, task, durationSeconds, errors)
      : undefined;
    if (Object.keys(errors).length || !task || !account.ok) return { ok: false, errors };

    const now = this.core.now();
    if (dedupeKey && !(await this.deps.store.firstTime(dedupeKey, now))) return { ok: true, duplicate: true };
    const draft: BreakglassRequest = {
      id: newRequestId(),
      requesterId: input.requesterId,
      accountId: account.account.id,
      accountName: account.account.name,
      task,
      ...(target?.ok && target.value ? { target: target.value } : {}),
      durationSeconds,
      justification,
      ...(link ? { link } : {}),
      createdAt: now,
      state: 'pending',
      approvals: [],
      preview: { status: 'loading' },
      contentHash: '',
      ...(route ? { route } : {}),
    };
    const request = { ...draft, contentHash: contentHash(draft) };
    const { nudgeAt, expireAt } = pendingSchedule(now, this.deps.settings);
    await this.core.create(request, {
      schedule: [
        { kind: 'preview', dueAt: now },
        { kind: 'nudge', dueAt: nudgeAt },
        { kind: 'expire', dueAt: expireAt },
      ],
      notify: [{ to: 'post' }],
    });
    await this.core.audit(request.id, input.requesterId, 'requested', {
      accountId: request.accountId,
      task,
      target: request.target,
      durationSeconds,
      justification,
      link,
      ...(route ? { rule: route.rule } : {}),
    });
    return { ok: true, request };
  }

  /**
   * The policy rule for the chosen account (none without a policy file): whether
   * it lets this person request, and allows the chosen task and duration. Its
   * problems are field errors; the rule is stored with the request.
   */
  private async route(
    requesterId: string,
    accountId: string,
    task: TaskKind | undefined,
    durationSeconds: number,
    errors: Partial<Record<RequestField, string>>,
  ): Promise<RequestRoute | undefined> {
    const routing = this.deps.routing;
    if (!routing) return undefined;
    let rule: EffectiveRule;
    try {
      rule = await routing.ruleFor(accountId);
    } catch (error) {
      this.deps.log.warn(
        { accountId, err: error instanceof Error ? error.message : String(error) },
        "could not read the account's OUs (organizations:ListParents) for approver routing",
      );
      errors.account =
        "Could not read this account's OU from AWS Organizations, so its approvers are unknown. Try again in a moment.";
      return undefined;
    }
    if (!(await this.deps.auth.mayRequest(requesterId, rule.requesters))) {
      errors.account = `Rule "${rule.name}" does not let you request access to this account.`;
    }
    const refused = task
      ? refusedChoice(rule, { task, ...(opensWindow(task) ? { durationSeconds } : {}) })
      : undefined;
    if (refused) errors[refused.field] ??= refused.reason;
    return routeOf(rule);
  }

  async approve(id: string, userId: string, seenHash: string): Promise<Reply> {
    const isApprover = await this.core.approves(id, userId);
    const now = this.core.now();
    const result = await this.core.mutate<string>(id, (r) => {
      if (r.preview?.status === 'loading')
        return { refuse: 'wait until the current state of the account has loaded' };
      // Approvers approve what they saw: nothing, until the account's state has been read.
      if (r.preview?.status === 'failed' && r.state === 'pending')
        return {
          refuse:
            "the account's current state could not be read; press Read again on the request message and approve once it shows",
        };
      const decision = decideApproval(r, userId, { isApprover, contentHash: seenHash, now });
      if (decision.kind === 'refused') return { refuse: decision.reason };
      if (decision.kind === 'duplicate') return { unchanged: 'Your approval was already counted.' };
      if (!decision.complete) {
        return {
          next: { ...r, approvals: decision.approvals },
          effects: { notify: [UPDATE_MESSAGE] },
          value: `Approval recorded (${decision.approvals.length}/${REQUIRED_APPROVALS}).`,
        };
      }
      // A window's cleanup is durable before any AWS call: whatever happens to the
      // grant, root access cannot outlive the approved duration.
      const fallbackCleanup = opensWindow(r.task)
        ? [{ kind: 'cleanup' as const, dueAt: now + r.durationSeconds * 1000 }]
        : [];
      return {
        next: { ...r, approvals: decision.approvals, state: 'executing' },
        effects: {
          schedule: [{ kind: 'execute', dueAt: now }, ...fallbackCleanup],
          cancel: ['nudge', 'expire'],
          notify: [UPDATE_MESSAGE],
        },
        value: 'Second approval recorded: running the task now.',
      };
    });
    if (!result.ok) return { ok: false, text: `Not approved: ${result.reason}.` };
    if (result.changed) {
      await this.core.audit(id, userId, 'approved', { approvals: result.stored.request.approvals.length });
    }
    return { ok: true, text: result.value };
  }

  /**
   * Reads the account's current state again after a failed read (Read again on
   * the request message): the preview job runs again, and Approve shows once it
   * succeeds. The requester and the request's approvers may ask.
   */
  async readAgain(id: string, userId: string): Promise<Reply> {
    const stored = await this.deps.store.getRequest(id);
    if (!stored) return { ok: false, text: `There is no request ${id}.` };
    const mayAsk =
      stored.request.requesterId === userId ||
      (await this.deps.auth.isApprover(userId, this.core.approversOf(stored.request)));
    if (!mayAsk) return { ok: false, text: 'Only the requester or an approver can read the account again.' };
    const now = this.core.now();
    const result = await this.core.mutate<string>(id, (r) => {
      if (r.state !== 'pending') return { refuse: `it is already ${stateName(r)}` };
      if (r.preview?.status === 'loading') return { unchanged: 'Already reading the account again.' };
      if (r.preview?.status !== 'failed') return { unchanged: "The account's state is already shown." };
      const { request: next } = withPreview(r, { status: 'loading' });
      return {
        next,
        effects: { schedule: [{ kind: 'preview', dueAt: now }], notify: [UPDATE_MESSAGE] },
        value: "Reading the account's current state again; Approve shows once it has loaded.",
      };
    });
    if (!result.ok) return { ok: false, text: `Not read again: ${result.reason}.` };
    if (result.changed) await this.core.audit(id, userId, 'preview requested again');
    return { ok: true, text: result.value };
  }

  async deny(id: string, userId: string, reason: string): Promise<Reply> {
    const isApprover = await this.core.approves(id, userId);
    const now = this.core.now();
    const result = await this.core.mutate<string>(id, (r) => {
      const decision = decideDenial(r, userId, { isApprover, reason });
      if (!decision.ok) return { refuse: decision.reason };
      const next: BreakglassRequest = {
        ...r,
        state: 'denied',
        denial: { userId, reason: reason.trim(), at: now },
      };
      const notify: Delivery[] = [UPDATE_MESSAGE];
      if (userId !== r.requesterId)
        notify.push({ to: 'dm', userId: r.requesterId, notice: { kind: 'denied', request: next } });
      return {
        next,
        effects: { cancel: ['preview', 'nudge', 'expire'], notify },
        value: 'Request denied.',
      };
    });
    if (!result.ok) return { ok: false, text: `Not denied: ${result.reason}.` };
    const withdrawn = result.stored.request.requesterId === userId;
    await this.core.audit(id, userId, withdrawn ? 'withdrawn by the requester' : 'denied', {
      reason: reason.trim(),
    });
    return { ok: true, text: withdrawn ? 'Request withdrawn.' : result.value };
  }

  /** Withdraws a pending request, or ends an active window early (cleanup runs now). */
  async cancel(id: string, userId: string): Promise<Reply> {
    const stored = await this.deps.store.getRequest(id);
    if (!stored) return { ok: false, text: `There is no request ${id}.` };
    const isApprover = await this.deps.auth.isApprover(userId, this.core.approversOf(stored.request));
    if (stored.request.requesterId !== userId && !isApprover) {
      return { ok: false, text: 'Only the requester or an approver can cancel a request.' };
    }
    if (stored.request.state === 'active') return this.finish(id, userId);
    const withdrawn = stored.request.requesterId === userId;
    const now = this.core.now();
    const result = await this.core.mutate<string>(id, (r) => {
      if (r.state !== 'pending') return { refuse: `it is already ${stateName(r)}` };
      const next: BreakglassRequest = { ...r, state: 'cancelled', cancelledBy: { userId, at: now } };
      const notify: Delivery[] = [UPDATE_MESSAGE];
      // An approver's cancellation reaches the requester as a denial does; a withdrawal needs no word.
      if (!withdrawn)
        notify.push({ to: 'dm', userId: r.requesterId, notice: { kind: 'cancelled', request: next } });
      return {
        next,
        effects: { cancel: ['preview', 'nudge', 'expire'], notify },
        value: `Request ${id} ${withdrawn ? 'withdrawn' : 'cancelled'}.`,
      };
    });
    if (!result.ok) return { ok: false, text: `Not cancelled: ${result.reason}.` };
    await this.core.audit(id, userId, withdrawn ? 'withdrawn by the requester' : 'cancelled');
    return { ok: true, text: result.value };
  }

  /** "Done, clean up now": ends the window early. */
  async finish(id: string, userId: string): Promise<ChangeReply> {
    const isApprover = await this.core.approves(id, userId);
    const now = this.core.now();
    const result = await this.core.mutate<string>(id, (r) => {
      if (r.requesterId !== userId && !isApprover)
        return { refuse: 'only the requester or an approver can end the window' };
      if (r.state === 'cleaning' || r.state === 'closed')
        return { unchanged: 'Cleanup is already under way.' };
      if (r.state !== 'active') return { refuse: `the request is ${r.state}, not active` };
      return {
        next: { ...r, state: 'cleaning', endedEarly: { userId, at: now } },
        effects: {
          schedule: [{ kind: 'cleanup', dueAt: now }],
          cancel: ['remind'],
          notify: [UPDATE_MESSAGE],
        },
        value: 'Cleaning up now: root credentials will be deleted and verified.',
      };
    });
    if (!result.ok) return { ok: false, text: `Not done: ${result.reason}.` };
    if (result.changed) await this.core.audit(id, userId, 'finished early');
    return { ok: true, text: result.value, request: result.stored.request };
  }

  /** The requester asks for more time; the ask gets a fresh nonce that its buttons carry. */
  async requestExtension(id: string, userId: string, seconds: number): Promise<ChangeReply> {
    const now = this.core.now();
    const nonce = randomBytes(12).toString('base64url');
    const result = await this.core.mutate<string>(id, (r) => {
      const maxTotalSeconds = this.core.longestWindow(r);
      const check = decideExtensionAsk(r, userId, seconds, { maxTotalSeconds, now });
      if (!check.ok) return { refuse: check.reason };
      const next: BreakglassRequest = { ...r, extensionRequest: { seconds, at: now, nonce } };
      return {
        next,
        effects: { notify: [{ to: 'thread', notice: { kind: 'extension-requested', request: next } }] },
        value: `Asked the approvers for ${formatDuration(seconds)} more.`,
      };
    });
    if (!result.ok) return { ok: false, text: `No extension: ${result.reason}.` };
    await this.core.audit(id, userId, 'extension requested', { seconds, nonce });
    return { ok: true, text: result.value, request: result.stored.request };
  }

  /** One approver approves exactly the ask whose button they clicked. */
  async approveExtension(id: string, userId: string, click: ExtensionClick): Promise<ChangeReply> {
    const isApprover = await this.core.approves(id, userId);
    const settings = this.deps.settings;
    const now = this.core.now();
    const result = await this.core.mutate<string>(id, (r) => {
      const maxTotalSeconds = this.core.longestWindow(r);
      const check = decideExtensionApproval(r, userId, click, { isApprover, maxTotalSeconds, now });
      if (!check.ok) return { refuse: check.reason };
      const { extensionRequest: _, ...rest } = r;
      const next: BreakglassRequest = { ...rest, windowEndsAt: check.windowEndsAt };
      const notice: Notice = { kind: 'extended', request: next, approverId: userId };
      return {
        next,
        effects: {
          schedule: [
            { kind: 'cleanup', dueAt: check.windowEndsAt },
            { kind: 'remind', dueAt: reminderAt(now, check.windowEndsAt, settings) },
          ],
          notify: [UPDATE_MESSAGE, { to: 'thread', notice }, { to: 'dm', userId: r.requesterId, notice }],
        },
        value: 'Extension approved.',
      };
    });
    if (!result.ok) return { ok: false, text: `Not extended: ${result.reason}.` };
    await this.core.audit(id, userId, 'extension approved', {
      seconds: click.seconds,
      nonce: click.nonce,
      windowEndsAt: result.stored.request.windowEndsAt,
    });
    return { ok: true, text: result.value, request: result.stored.request };
  }

  /** An approver declines the ask whose button they clicked, with a reason the requester sees. */
  async declineExtension(
    id: string,
    userId: string,
    click: ExtensionClick,
    reason: string,
  ): Promise<ChangeReply> {
    const isApprover = await this.core.approves(id, userId);
    const why = reason.trim();
    const result = await this.core.mutate<string>(id, (r) => {
      const check = decideExtensionDecline(r, userId, click, { isApprover, reason });
      if (!check.ok) return { refuse: check.reason };
      const { extensionRequest: _, ...next } = r;
      const notice: Notice = {
        kind: 'extension-declined',
        request: next,
        seconds: click.seconds,
        userId,
        reason: why,
      };
      return {
        next,
        effects: {
          notify: [
            { to: 'thread', notice },
            { to: 'dm', userId: r.requesterId, notice: { ...notice, offerControls: true } },
          ],
        },
        value: 'Extension declined.',
      };
    });
    if (!result.ok) return { ok: false, text: `Not declined: ${result.reason}.` };
    await this.core.audit(id, userId, 'extension declined', { seconds: click.seconds, reason: why });
    return { ok: true, text: result.value, request: result.stored.request };
  }

  /** The requester withdraws the ask whose button they clicked. */
  async withdrawExtension(id: string, userId: string, click: ExtensionClick): Promise<ChangeReply> {
    const result = await this.core.mutate<string>(id, (r) => {
      const check = decideExtensionWithdrawal(r, userId, click);
      if (!check.ok) return { refuse: check.reason };
      const { extensionRequest: _, ...next } = r;
      const notice: Notice = { kind: 'extension-withdrawn', request: next, seconds: click.seconds };
      return {
        next,
        effects: {
          notify: [
            { to: 'thread', notice },
            { to: 'dm', userId: r.requesterId, notice: { ...notice, offerControls: true } },
          ],
        },
        value: 'Extension ask withdrawn.',
      };
    });
    if (!result.ok) return { ok: false, text: `Not withdrawn: ${result.reason}.` };
    await this.core.audit(id, userId, 'extension withdrawn', { seconds: click.seconds });
    return { ok: true, text: result.value, request: result.stored.request };
  }
}

function checkTarget(
  task: TaskKind,
  target: string | undefined,
  accountId: string,
): { ok: true; value?: string } | { ok: false; reason: string } {
  if (task === 'unlock-s3') {
    const bucket = checkBucketName(target ?? '');
    return bucket.ok ? { ok: true, value: bucket.value } : { ok: false, reason: bucket.reason };
  }
  if (task === 'unlock-sqs') {
    const queue = checkQueueUrl(target ?? '');
    if (!queue.ok) return { ok: false, reason: queue.reason };
    if (queue.value.accountId !== accountId)
      return {
        ok: false,
        reason: `That queue belongs to account ${queue.value.accountId}, not ${accountId}.`,
      };
    return { ok: true, value: queue.value.url };
  }
  return { ok: true };
}
