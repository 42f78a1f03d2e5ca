import { randomBytes } from 'node:crypto';
import type { FakeOrganization, RootSessionRecord, TaskPolicyName } from './model.js';
import { TASK_POLICY_ACTIONS } from './model.js';
import { AwsFault, accessDenied, type FakeRequest, stringParam } from './protocol.js';
import type { FakeAwsState } from './state.js';
import type { XmlValue } from './xml.js';

const POLICY_PREFIX = 'arn:aws:iam::aws:policy/root-task/';

export function handleSts(state: FakeAwsState, req: FakeRequest): XmlValue {
  if (req.principal.kind === 'root') throw accessDenied(req);
  switch (req.action) {
    case 'GetCallerIdentity':
      return {
        UserId: 'AROAFAKECALLER:breakglass',
        Account: state.org.caller.accountId,
        Arn: state.org.caller.arn,
      };
    case 'AssumeRoot':
      return assumeRoot(state, req);
    default:
      throw new AwsFault('InvalidAction', `Could not find operation ${req.action} for version 2011-06-15`);
  }
}

function assumeRoot(state: FakeAwsState, req: FakeRequest): XmlValue {
  const org: FakeOrganization = state.org;
  if (req.region === 'aws-global' || req.region === '') {
    throw new AwsFault('InvalidAction', 'AssumeRoot must be called on a regional STS endpoint');
  }
  const target = stringParam(req, 'TargetPrincipal').replace(/^arn:aws:iam::(\d{12}):root$/, '$1');
  const policyArn = stringParam(req, 'TaskPolicyArn.arn');
  const duration = Number(req.query.get('DurationSeconds') ?? '900');
  if (!Number.isInteger(duration) || duration < 0 || duration > 900) {
    throw new AwsFault('ValidationError', 'DurationSeconds must be between 0 and 900');
  }
  const policyName = policyArn.startsWith(POLICY_PREFIX) ? policyArn.slice(POLICY_PREFIX.length) : '';
  if (!(policyName in TASK_POLICY_ACTIONS)) {
    throw new AwsFault('ValidationError', `TaskPolicyArn ${policyArn} is not a root task policy`);
  }
  const callerOk =
    org.caller.accountId === org.managementAccountId ||
    org.delegatedAdministrators.includes(org.caller.accountId);
  if (!org.caller.mayAssumeRoot || !callerOk) {
    throw accessDenied(
      req,
      ` on resource: arn:aws:iam::${target}:root because no identity-based policy allows the sts:AssumeRoot action`,
    );
  }
  if (!org.features.has('RootSessions')) {
    throw accessDenied(
      req,
      ` on resource: arn:aws:iam::${target}:root because root sessions are not enabled for the organization`,
    );
  }
  const account = state.accounts.get(target);
  if (!account || target === org.managementAccountId || account.status !== 'ACTIVE') {
    throw accessDenied(req, ` on resource: arn:aws:iam::${target}:root`);
  }
  if (account.scpDeniesRoot) {
    throw accessDenied(
      req,
      ` on resource: arn:aws:iam::${target}:root with an explicit deny in a service control policy`,
    );
  }
  const session: RootSessionRecord = {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `FQoGZXIvYXdz${randomBytes(48).toString('base64')}`,
    accountId: target,
    taskPolicy: policyName as TaskPolicyName,
    expiration: new Date(Date.now() + (duration || 900) * 1000),
  };
  const expiring = state.options.expiringRootSessions;
  if (expiring && expiring.sessions > 0) {
    expiring.sessions -= 1;
    session.callsLeft = expiring.afterCalls;
  }
  state.sessions.set(session.accessKeyId, session);
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: session.expiration,
    },
    SourceIdentity: 'breakglass',
  };
}
