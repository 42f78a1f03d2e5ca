import type { FakeAccount, FakeRootUser } from './model.js';
import type { FakeAws } from './server.js';

/** Member account ids 200000000001, 200000000002, ... */
export function memberId(n: number): string {
  return String(200_000_000_000 + n);
}

/** A root user with one of everything: password, two keys (one used), a certificate, virtual + hardware MFA. */
export function fullyCredentialed(accountId: string): FakeRootUser {
  const created = new Date('2024-01-02T03:04:05Z');
  return {
    loginProfile: { createDate: created, lastUsed: new Date('2025-07-01T00:00:00Z') },
    accessKeys: [
      {
        id: `AKIAROOT${accountId}A`,
        status: 'Active',
        createDate: created,
        lastUsed: { date: new Date('2025-06-01T00:00:00Z'), service: 's3', region: 'eu-west-1' },
      },
      { id: `AKIAROOT${accountId}B`, status: 'Inactive', createDate: created },
    ],
    signingCertificates: [{ id: `CERT${accountId}`, status: 'Active', uploadDate: created }],
    mfaDevices: [
      {
        serialNumber: `arn:aws:iam::${accountId}:mfa/root-account-mfa-device`,
        virtual: true,
        enableDate: created,
      },
      { serialNumber: `GAHT${accountId}`, virtual: false, enableDate: created },
    ],
  };
}

/**
 * Adds `count` ACTIVE member accounts; every `credentialsEvery`-th one has root
 * credentials (alternating a full set and a lone password). Returns the accounts.
 */
export function seedMembers(fake: FakeAws, count: number, credentialsEvery = 10): FakeAccount[] {
  const added: FakeAccount[] = [];
  for (let n = 1; n <= count; n++) {
    const id = memberId(n);
    const account = fake.addAccount(id, { name: `workload-${String(n).padStart(4, '0')}` });
    if (credentialsEvery > 0 && n % credentialsEvery === 0) {
      account.root = (n / credentialsEvery) % 2 === 1 ? fullyCredentialed(id) : passwordOnly();
    }
    added.push(account);
  }
  return added;
}

function passwordOnly(): FakeRootUser {
  return {
    loginProfile: { createDate: new Date('2023-05-06T00:00:00Z') },
    accessKeys: [],
    signingCertificates: [],
    mfaDevices: [],
  };
}
