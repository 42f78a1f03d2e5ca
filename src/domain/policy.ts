/**
 * Approver routing: the policy file (BREAKGLASS_POLICY) as data, its validation,
 * and which rule decides a request for an account. Pure: reading the file is
 * src/config/policy-file.ts, finding an account's OUs is the AWS edge's.
 *
 * Which rule applies to an account, in this order (a policy may list an account
 * or an OU in one rule only, so each step finds at most one rule):
 *   1. the rule whose `match.accounts` lists the account;
 *   2. the rule that lists the account's nearest OU: its own OU first, then the
 *      parent OU, and so on up to the organization root (`r-…`);
 *   3. the default rule: BREAKGLASS_APPROVERS, BREAKGLASS_REQUESTERS,
 *      BREAKGLASS_DURATIONS and BREAKGLASS_TASKS.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './durations.js';
import { type RequestRoute, TASK_KINDS, type TaskKind } from './request.js';

/** One rule of the file, checked and normalized. Absent optional fields take the default rule's. */
export interface PolicyRule {
  name: string;
  accounts: string[];
  /** OU ids (ou-…) and root ids (r-…) */
  ous: string[];
  /** user (U…/W…) then user-group (S…) ids */
  approvers: string[];
  /** who may request for these accounts; absent: as the default rule (BREAKGLASS_REQUESTERS) */
  requesters?: string[];
  /** absent: BREAKGLASS_DURATIONS */
  durationsSeconds?: number[];
  /** absent: BREAKGLASS_TASKS */
  tasks?: TaskKind[];
}

export interface Policy {
  rules: PolicyRule[];
}

/** The default rule, from the environment. */
export interface DefaultRule {
  approvers: readonly string[];
  /** empty: anyone may request */
  requesters: readonly string[];
  durationsSeconds: readonly number[];
  tasks: readonly TaskKind[];
}

/** The rule that decides requests for one account, every field filled in. */
export interface EffectiveRule {
  name: string;
  matched?: { kind: 'account' | 'ou'; id: string };
  approvers: string[];
  /** empty: anyone may request */
  requesters: string[];
  durationsSeconds: number[];
  tasks: TaskKind[];
}

export const DEFAULT_RULE_NAME = 'default';

export interface PolicyCheck {
  /** undefined when there are problems */
  policy?: Policy;
  /** one line each, naming the rule and the field; any problem makes the file unusable */
  problems: string[];
  /** the file works, but a person should look (e.g. a rule whose approvers are a group alone) */
  warnings: string[];
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const GROUP_ID = /^S[A-Z0-9]{2,}$/;
const ACCOUNT_ID = /^\d{12}$/;
const OU_OR_ROOT = /^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/;
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function pattern(test: RegExp, what: string) {
  return z.string().superRefine((value, ctx) => {
    if (!test.test(value)) ctx.addIssue({ code: 'custom', message: `"${value}" is not ${what}` });
  });
}

/** YAML reads unquoted digits as a number: accept one only when it is still 12 digits. */
const accountId = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value);
  if (ACCOUNT_ID.test(text)) return text;
  ctx.addIssue({
    code: 'custom',
    message:
      typeof value === 'number'
        ? `${text} is not a 12-digit account id; write account ids in quotes ("012345678901"): YAML reads unquoted digits as a number and drops leading zeros`
        : `"${text}" is not a 12-digit account id`,
  });
  return z.NEVER;
});

const people = z.strictObject({
  users: z.array(pattern(USER_ID, 'a Slack user id (U… or W…)')).optional(),
  groups: z.array(pattern(GROUP_ID, 'a Slack user-group id (S…)')).optional(),
});

const duration = z.string().transform((text, ctx) => {
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 15m, 1h or 1h30m` });
    return z.NEVER;
  }
  return seconds;
});

const task = z.string().superRefine((value, ctx) => {
  if (!(TASK_KINDS as readonly string[]).includes(value)) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a task; tasks are ${TASK_KINDS.join(', ')}` });
  }
});

const ruleSchema = z.strictObject({
  name: pattern(RULE_NAME, 'a rule name (letters, digits, _ . -; at most 64)'),
  match: z.strictObject({
    accounts: z.array(accountId).optional(),
    ous: z.array(pattern(OU_OR_ROOT, 'an OU id (ou-…) or a root id (r-…)')).optional(),
  }),
  approvers: people,
  requesters: people.optional(),
  durations: z.array(duration).min(1, 'list at least one duration, or leave durations out').optional(),
  tasks: z.array(task).min(1, 'list at least one task, or leave tasks out').optional(),
});

type RawRule = z.output<typeof ruleSchema>;

const policySchema = z.strictObject({
  version: z.literal(1, 'version must be 1').optional(),
  rules: z
    .array(z.unknown(), {
      error: (issue) =>
        issue.input === undefined ? 'missing: the file needs a "rules:" list' : 'must be a list of rules',
    })
    .min(1, 'list at least one rule (without rules, unset BREAKGLASS_POLICY)'),
});

/**
 * Checks a parsed policy document (YAML already read into plain data) and
 * returns every problem at once, one line each: `rules[1] (production).approvers: …`.
 * Each rule is checked on its own, so one broken rule does not hide the others' problems.
 */
export function checkPolicy(data: unknown): PolicyCheck {
  const top = policySchema.safeParse(data, { error: missing });
  if (!top.success) {
    return { problems: top.error.issues.map((i) => issueLine(i.path, i, data)), warnings: [] };
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const names = new Map<string, number>();
  const accounts = new Map<string, string>();
  const ous = new Map<string, string>();
  const rules: PolicyRule[] = [];
  top.data.rules.forEach((item, index) => {
    const label = ruleName(data, index);
    const where = `rules[${index}]${label ? ` (${label})` : ''}`;
    if (label !== undefined) {
      const key = label.toLowerCase();
      if (key === DEFAULT_RULE_NAME) {
        problems.push(`${where}.name: "default" is the rule of BREAKGLASS_APPROVERS; choose another name`);
      }
      const earlier = names.get(key);
      if (earlier !== undefined) {
        problems.push(`${where}.name: rules[${earlier}] has the same name; rule names must be unique`);
      } else names.set(key, index);
    }
    const parsed = ruleSchema.safeParse(item, { error: missing });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(issueLine(['rules', index, ...issue.path], issue, data));
      }
      return;
    }
    const rule = normalize(parsed.data);
    rules.push(rule);
    if (!rule.accounts.length && !rule.ous.length) {
      problems.push(`${where}.match: list accounts or ous; a rule that matches nothing never applies`);
    }
    for (const [list, seen, what] of [
      [rule.accounts, accounts, 'account'],
      [rule.ous, ous, 'OU'],
    ] as const) {
      for (const id of list) {
        const owner = seen.get(id);
        if (owner !== undefined) {
          problems.push(
            `${where}.match: ${what} ${id} is already matched by rule "${owner}"; list it in one rule only`,
          );
        } else seen.set(id, rule.name);
      }
    }
    const reach = approverReach(rule.approvers);
    if (reach.problem) problems.push(`${where}.approvers: ${reach.problem}`);
    if (reach.warning) warnings.push(`${where}.approvers: ${reach.warning}`);
    if (rule.requesters?.length === 0) {
      problems.push(
        `${where}.requesters: list users or groups, or leave requesters out to use BREAKGLASS_REQUESTERS`,
      );
    }
  });
  return problems.length ? { problems, warnings } : { policy: { rules }, problems, warnings };
}

/** "missing" for a required key that is absent, instead of "expected object, received undefined". */
function missing(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'missing' : undefined;
}

/**
 * Whether a rule's approvers can ever give two approvals. Distinct users count
 * directly; a group's members are known only to Slack, so a rule that relies on
 * one is accepted with a warning (the bot asks Slack when someone clicks).
 */
export function approverReach(approvers: readonly string[]): { problem?: string; warning?: string } {
  const users = [...new Set(approvers.filter((id) => !id.startsWith('S')))];
  const groups = approvers.filter((id) => id.startsWith('S'));
  if (users.length >= 2) return {};
  if (!groups.length) {
    return {
      problem:
        users.length === 1
          ? `only one approver (${users[0]}): two different people must approve; add a second user or a user group`
          : 'no approvers: list two or more users, or a user group',
    };
  }
  return {
    warning: `${users.length ? `one user (${users[0]}) and ` : ''}user group${groups.length > 1 ? 's' : ''} ${groups.join(', ')}: whether two different people can approve is known only to Slack and is checked when someone approves; make sure the group has at least ${users.length ? 'one other member' : 'two members'}`,
  };
}

/** Problems that need the bot's configuration: a rule offering a task the bot does not offer. */
export function checkPolicyAgainst(policy: Policy, defaults: Pick<DefaultRule, 'tasks'>): string[] {
  const problems: string[] = [];
  policy.rules.forEach((rule, index) => {
    const extra = (rule.tasks ?? []).filter((t) => !defaults.tasks.includes(t));
    if (extra.length) {
      problems.push(
        `rules[${index}] (${rule.name}).tasks: ${extra.join(', ')} not offered by BREAKGLASS_TASKS (${defaults.tasks.join(', ')})`,
      );
    }
  });
  return problems;
}

function normalize(raw: RawRule): PolicyRule {
  const ids = (p: { users?: string[] | undefined; groups?: string[] | undefined }) => [
    ...new Set([...(p.users ?? []), ...(p.groups ?? [])]),
  ];
  const rule: PolicyRule = {
    name: raw.name,
    accounts: [...new Set(raw.match.accounts ?? [])],
    ous: [...new Set(raw.match.ous ?? [])],
    approvers: ids(raw.approvers),
  };
  if (raw.requesters) rule.requesters = ids(raw.requesters);
  if (raw.durations) rule.durationsSeconds = [...new Set(raw.durations)].sort((a, b) => a - b);
  if (raw.tasks) rule.tasks = TASK_KINDS.filter((t) => raw.tasks?.includes(t));
  return rule;
}

/** `rules[2] (production).approvers.users[0]: "x" is not …`, the rule named when the file gives a name. */
function issueLine(fullPath: readonly PropertyKey[], issue: z.core.$ZodIssue, data: unknown): string {
  const path = fullPath
    .map((part, i) => {
      if (typeof part === 'number') {
        const label = i === 1 && fullPath[0] === 'rules' ? ruleName(data, part) : undefined;
        return `[${part}]${label ? ` (${label})` : ''}`;
      }
      return `${i === 0 ? '' : '.'}${String(part)}`;
    })
    .join('');
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  return path ? `${path}: ${message}` : message;
}

function ruleName(data: unknown, index: number): string | undefined {
  const rules = (data as { rules?: unknown } | null)?.rules;
  const name = Array.isArray(rules) ? (rules[index] as { name?: unknown } | null)?.name : undefined;
  return typeof name === 'string' && name.length <= 64 ? name : undefined;
}

/** The rule listing the account, else the one listing its nearest OU; undefined: the default rule. */
export function matchRule(
  policy: Policy,
  accountId: string,
  /** the account's parents, nearest first, up to the root (Organizations ListParents) */
  ancestors: readonly string[],
): { rule: PolicyRule; matched: { kind: 'account' | 'ou'; id: string } } | undefined {
  const byAccount = policy.rules.find((r) => r.accounts.includes(accountId));
  if (byAccount) return { rule: byAccount, matched: { kind: 'account', id: accountId } };
  for (const ou of ancestors) {
    const byOu = policy.rules.find((r) => r.ous.includes(ou));
    if (byOu) return { rule: byOu, matched: { kind: 'ou', id: ou } };
  }
  return undefined;
}

/** Whether matching this account needs its OUs: no rule lists it, and some rule lists OUs. */
export function needsAncestors(policy: Policy, accountId: string): boolean {
  return (
    !policy.rules.some((r) => r.accounts.includes(accountId)) && policy.rules.some((r) => r.ous.length > 0)
  );
}

/** The rule for an account with every field filled in from the default rule. */
export function effectiveRule(
  policy: Policy | undefined,
  defaults: DefaultRule,
  accountId: string,
  ancestors: readonly string[],
): EffectiveRule {
  const hit = policy ? matchRule(policy, accountId, ancestors) : undefined;
  if (!hit) {
    return {
      name: DEFAULT_RULE_NAME,
      approvers: [...defaults.approvers],
      requesters: [...defaults.requesters],
      durationsSeconds: [...defaults.durationsSeconds],
      tasks: [...defaults.tasks],
    };
  }
  const { rule, matched } = hit;
  return {
    name: rule.name,
    matched,
    approvers: rule.approvers,
    requesters: rule.requesters ?? [...defaults.requesters],
    durationsSeconds: rule.durationsSeconds ?? [...defaults.durationsSeconds],
    tasks: rule.tasks ?? [...defaults.tasks],
  };
}

/** What is stored with the request. */
export function routeOf(rule: EffectiveRule): RequestRoute {
  return {
    rule: rule.name,
    ...(rule.matched ? { matched: rule.matched } : {}),
    approvers: rule.approvers,
    durationsSeconds: rule.durationsSeconds,
  };
}

/** One short line for the request message: "Rule: production (OU ou-ab12-prod1234)". */
export function describeRoute(route: RequestRoute): string {
  const why = route.matched
    ? route.matched.kind === 'account'
      ? `account ${route.matched.id}`
      : `${route.matched.id.startsWith('r-') ? 'root' : 'OU'} ${route.matched.id}`
    : 'BREAKGLASS_APPROVERS';
  return `Rule: ${route.rule} (${why})`;
}

/** Why a choice is refused for this account, or undefined when the rule allows it. */
export function refusedChoice(
  rule: EffectiveRule,
  choice: { task: TaskKind; durationSeconds?: number },
): { field: 'task' | 'duration'; reason: string } | undefined {
  if (!rule.tasks.includes(choice.task)) {
    return {
      field: 'task',
      reason: `Rule "${rule.name}" allows only ${rule.tasks.join(', ')} for this account.`,
    };
  }
  if (choice.durationSeconds !== undefined && !rule.durationsSeconds.includes(choice.durationSeconds)) {
    return {
      field: 'duration',
      reason: `Rule "${rule.name}" allows ${rule.durationsSeconds.map(formatDuration).join(', ')} for this account.`,
    };
  }
  return undefined;
}

/**
 * What the request modal offers before an account is chosen: every duration and
 * task some rule allows (submission then checks the chosen account's rule).
 */
export function offeredChoices(
  policy: Policy | undefined,
  defaults: DefaultRule,
): { durationsSeconds: number[]; tasks: TaskKind[] } {
  const rules = policy?.rules ?? [];
  const durations = new Set([
    ...defaults.durationsSeconds,
    ...rules.flatMap((r) => r.durationsSeconds ?? []),
  ]);
  const tasks = new Set([...defaults.tasks, ...rules.flatMap((r) => r.tasks ?? [])]);
  return {
    durationsSeconds: [...durations].sort((a, b) => a - b),
    tasks: TASK_KINDS.filter((t) => tasks.has(t)),
  };
}

/**
 * Everyone who approves under some rule, and who may request under some rule
 * (empty: anyone, as soon as one rule lets anyone request). For what a person
 * may see and open, not for deciding a request: that takes the request's rule.
 */
export function everyone(
  policy: Policy | undefined,
  defaults: DefaultRule,
): { approvers: string[]; requesters: string[] } {
  const rules = policy?.rules ?? [];
  const approvers = [...new Set([...defaults.approvers, ...rules.flatMap((r) => r.approvers)])];
  const lists = [defaults.requesters, ...rules.map((r) => r.requesters ?? defaults.requesters)];
  const requesters = lists.some((l) => l.length === 0) ? [] : [...new Set(lists.flat())];
  return { approvers, requesters };
}
