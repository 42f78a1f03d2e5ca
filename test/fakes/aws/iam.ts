import type { FakeRootUser } from './model.js';
import { AwsFault, accessDenied, type FakeRequest, requireRoot, stringParam } from './protocol.js';
import type { FakeAwsState } from './state.js';
import { XmlMap, type XmlValue } from './xml.js';

const NO_ENTITY = (what: string) => new AwsFault('NoSuchEntity', `The ${what} cannot be found.`, 404);

export function handleIam(state: FakeAwsState, req: FakeRequest): XmlValue {
  if (req.action === 'ListOrganizationsFeatures') return listOrganizationsFeatures(state, req);
  const { account, session } = requireRoot(req);
  const root = account.root;
  if (MUTATIONS.has(req.action)) keepStaleView(state, account.id, root);
  // What reads see: in an audit session, possibly the state before a recent delete (eventual consistency).
  const auditRead = session.taskPolicy === 'IAMAuditRootUserCredentials' && req.action !== 'GetUser';
  const seen = auditRead ? staleView(state, account.id, root) : root;
  switch (req.action) {
    case 'GetAccountSummary': {
      const map = summary(seen);
      if (state.options.omitAccountPasswordPresent) delete map.AccountPasswordPresent;
      return { SummaryMap: new XmlMap(map) };
    }
    case 'GetUser':
      return {
        User: {
          Path: '/',
          UserName: '',
          UserId: account.id,
          Arn: `arn:aws:iam::${account.id}:root`,
          CreateDate: new Date(0),
          // IAM omits PasswordLastUsed for a password never used.
          ...(seen.loginProfile?.lastUsed ? { PasswordLastUsed: seen.loginProfile.lastUsed } : {}),
        },
      };
    case 'GetLoginProfile':
      if (!seen.loginProfile) throw NO_ENTITY('Login Profile for User root');
      return { LoginProfile: { CreateDate: seen.loginProfile.createDate, PasswordResetRequired: false } };
    case 'CreateLoginProfile':
      if (req.query.has('UserName') || req.query.has('Password')) {
        throw new AwsFault('ValidationError', 'In a root session, omit UserName and Password');
      }
      if (root.loginProfile)
        throw new AwsFault('EntityAlreadyExists', 'Login Profile for user root already exists.', 409);
      state.staleRoots.delete(account.id);
      root.loginProfile = { createDate: new Date() };
      return { LoginProfile: { CreateDate: root.loginProfile.createDate, PasswordResetRequired: false } };
    case 'DeleteLoginProfile':
      if (!root.loginProfile) throw NO_ENTITY('Login Profile for User root');
      if (state.options.mfaBlocksLoginProfileDeletion && root.mfaDevices.length > 0) {
        throw new AwsFault(
          'EntityTemporarilyUnmodifiable',
          'Login Profile cannot be deleted while an MFA device is active',
          409,
        );
      }
      root.loginProfile = null;
      return {};
    case 'ListAccessKeys':
      return {
        AccessKeyMetadata: seen.accessKeys.map((k) => ({
          AccessKeyId: k.id,
          Status: k.status,
          CreateDate: k.createDate,
        })),
        IsTruncated: false,
      };
    case 'GetAccessKeyLastUsed': {
      const key = seen.accessKeys.find((k) => k.id === stringParam(req, 'AccessKeyId'));
      if (!key) throw accessDenied(req);
      return {
        AccessKeyLastUsed: key.lastUsed
          ? {
              LastUsedDate: key.lastUsed.date,
              ServiceName: key.lastUsed.service,
              Region: key.lastUsed.region,
            }
          : { ServiceName: 'N/A', Region: 'N/A' },
      };
    }
    case 'DeleteAccessKey':
      root.accessKeys = removeOne(
        root.accessKeys,
        (k) => k.id === stringParam(req, 'AccessKeyId'),
        'Access Key',
      );
      return {};
    case 'ListSigningCertificates':
      return {
        Certificates: seen.signingCertificates.map((c) => ({
          CertificateId: c.id,
          CertificateBody: '-----BEGIN CERTIFICATE-----\nMIIfake\n-----END CERTIFICATE-----',
          Status: c.status,
          UploadDate: c.uploadDate ?? new Date(0),
        })),
        IsTruncated: false,
      };
    case 'DeleteSigningCertificate':
      root.signingCertificates = removeOne(
        root.signingCertificates,
        (c) => c.id === stringParam(req, 'CertificateId'),
        'Signing Certificate',
      );
      return {};
    case 'ListMFADevices':
      return {
        MFADevices: seen.mfaDevices.map((d) => ({ SerialNumber: d.serialNumber, EnableDate: d.enableDate })),
        IsTruncated: false,
      };
    case 'DeactivateMFADevice':
      root.mfaDevices = removeOne(
        root.mfaDevices,
        (d) => d.serialNumber === stringParam(req, 'SerialNumber'),
        'MFA Device',
      );
      return {};
    case 'DeleteVirtualMFADevice': {
      // Only reachable outside a root session's task policy (which denies it, see authorizeRootCall).
      // Deactivation already detached it; deleting an attached virtual device is refused, as in IAM.
      const serial = stringParam(req, 'SerialNumber');
      if (root.mfaDevices.some((d) => d.serialNumber === serial)) {
        throw new AwsFault('DeleteConflict', 'MFA device is still in use; deactivate it first', 409);
      }
      const deleted = state.deletedVirtualMfa;
      if (deleted.has(serial)) throw NO_ENTITY(`VirtualMFADevice with serial number ${serial}`);
      deleted.add(serial);
      return {};
    }
    default:
      throw new AwsFault('InvalidAction', `Could not find operation ${req.action} for version 2010-05-08`);
  }
}

function listOrganizationsFeatures(state: FakeAwsState, req: FakeRequest): XmlValue {
  if (req.principal.kind === 'root') throw accessDenied(req);
  const { org } = state;
  if (!org.trustedServices.has('iam.amazonaws.com')) {
    throw new AwsFault(
      'ServiceAccessNotEnabledException',
      'Trusted access is not enabled for IAM in the organization.',
    );
  }
  if (
    org.caller.accountId !== org.managementAccountId &&
    !org.delegatedAdministrators.includes(org.caller.accountId)
  ) {
    throw new AwsFault(
      'AccountNotManagementOrDelegatedAdministratorException',
      'The caller is neither the management account nor a delegated administrator.',
    );
  }
  return { OrganizationId: org.id, EnabledFeatures: [...org.features] };
}

export function summary(root: FakeRootUser): Record<string, number> {
  return {
    AccountMFAEnabled: root.mfaDevices.length > 0 ? 1 : 0,
    AccountAccessKeysPresent: root.accessKeys.length > 0 ? 1 : 0,
    AccountSigningCertificatesPresent: root.signingCertificates.length > 0 ? 1 : 0,
    AccountPasswordPresent: root.loginProfile ? 1 : 0,
    Users: 0,
    Roles: 3,
  };
}

const MUTATIONS = new Set([
  'DeleteLoginProfile',
  'DeleteAccessKey',
  'DeleteSigningCertificate',
  'DeactivateMFADevice',
]);

/** Before a delete: audit reads keep seeing the earliest state not yet "replicated", for a while. */
function keepStaleView(state: FakeAwsState, accountId: string, root: FakeRootUser): void {
  const reads = state.options.staleAuditReads;
  if (reads <= 0) return;
  const view = state.staleRoots.get(accountId);
  if (view && view.readsLeft > 0) view.readsLeft = reads;
  else state.staleRoots.set(accountId, { root: structuredClone(root), readsLeft: reads });
}

function staleView(state: FakeAwsState, accountId: string, root: FakeRootUser): FakeRootUser {
  const view = state.staleRoots.get(accountId);
  if (!view || view.readsLeft <= 0) return root;
  view.readsLeft -= 1;
  return view.root;
}

function removeOne<T>(items: T[], match: (item: T) => boolean, what: string): T[] {
  if (!items.some(match)) throw NO_ENTITY(what);
  return items.filter((item) => !match(item));
}
