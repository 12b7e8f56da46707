import { randomBytes } from 'node:crypto';
import { runAdmin } from '../support/database.js';

// A login role that holds nothing but membership in wallet_ledger_service (the role the
// migrations grant), with a password no other text in the test run contains: the service can run
// as it, and its password can be searched for in logs.

export const SERVICE_ROLE = 'wallet_ledger_service';

export interface ServiceLogin {
  name: string;
  password: string;
  /** `databaseUrl` with this role's name and password in place of the admin's. */
  urlFor(databaseUrl: string): string;
  drop(): Promise<void>;
}

export async function createServiceLogin(): Promise<ServiceLogin> {
  const name = `ledger_service_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(18).toString('hex')}`;
  // Identifiers and literals are random hex of our own making; DDL takes no bind parameters.
  await runAdmin(`CREATE ROLE ${name} LOGIN PASSWORD '${password}' IN ROLE ${SERVICE_ROLE}`);
  return {
    name,
    password,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.username = name;
      url.password = password;
      return url.toString();
    },
    drop: () => runAdmin(`DROP ROLE IF EXISTS ${name}`),
  };
}

