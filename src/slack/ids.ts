/** Every callback_id, action_id and block_id the app uses: grep here to find where a click goes. */
export const COMMAND = '/breakglass';

export const VIEWS = {
  request: 'bg_request',
  deny: 'bg_deny',
  policy: 'bg_policy',
  declineExtension: 'bg_extend_decline',
} as const;

export const ACTIONS = {
  accountSelect: 'bg_account_select',
  taskSelect: 'bg_task_select',
  approve: 'bg_approve',
  deny: 'bg_deny',
  done: 'bg_done',
  extend: 'bg_extend',
  approveExtension: 'bg_extend_approve',
  declineExtension: 'bg_extend_decline',
  withdrawExtension: 'bg_extend_withdraw',
  viewPolicy: 'bg_view_policy',
  showMailbox: 'bg_show_mailbox',
  readAgain: 'bg_read_again',
  /** a drift alert's Clean up (value: the account id) */
  driftCleanup: 'bg_drift_cleanup',
} as const;

/** Bulk hardening: its message's buttons, and the org-wide audit summary's "Harden N accounts". */
export const HARDEN_ACTIONS = {
  approve: 'bg_harden_approve',
  deny: 'bg_harden_deny',
  giveUp: 'bg_harden_give_up',
  fromAudit: 'bg_audit_harden',
} as const;

/** Input blocks of the request modal; field errors are keyed by these. */
export const REQUEST_BLOCKS = {
  account: 'account',
  task: 'task',
  duration: 'duration',
  target: 'target',
  justification: 'justification',
  link: 'link',
} as const;

export const REQUEST_INPUTS = {
  duration: 'bg_duration',
  target: 'bg_target',
  justification: 'bg_justification',
  link: 'bg_link',
} as const;

export const DENY_BLOCK = 'reason';
export const DENY_INPUT = 'bg_deny_reason';
export const DECLINE_EXTENSION_BLOCK = 'reason';
export const DECLINE_EXTENSION_INPUT = 'bg_extend_decline_reason';
