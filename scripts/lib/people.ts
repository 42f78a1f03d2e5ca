/**
 * The people of the local demo workspace, shared by `npm run demo` and
 * `npm run local`: alice asks, bob approves directly, carol through the
 * approvers' user group, dave is anyone else.
 */
export const PEOPLE = {
  alice: 'UALICE0001',
  bob: 'UBOB000001',
  carol: 'UCAROL0001',
  dave: 'UDAVE00001',
} as const;

export const APPROVER_GROUP = 'SAPPROVERS';

/** ids to names, for rendering (`<@UBOB000001>` reads `@bob`) */
export const NAMES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(PEOPLE).map(([name, id]) => [id, name])),
  [APPROVER_GROUP]: 'approvers',
};

/** A name from PEOPLE, or a Slack user id as is. */
export function userId(nameOrId: string): string | undefined {
  if (nameOrId in PEOPLE) return PEOPLE[nameOrId as keyof typeof PEOPLE];
  return /^[UW][A-Z0-9]{2,}$/.test(nameOrId) ? nameOrId : undefined;
}
