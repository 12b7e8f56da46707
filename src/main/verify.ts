import pg from 'pg';
import { loadConfig, ConfigError } from '../config.js';
import { checkLedgerInvariants } from '../verify/ledgerInvariants.js';

// `npm run verify`: checks every ledger invariant on DATABASE_URL; exits 1 with a report when any fails.

async function main(): Promise<number> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required to verify a ledger');
  const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'wallet-ledger-verify' });
  await client.connect();
  try {
    const started = Date.now();
    // Published events older than the retention may have been purged: they are not required.
    const results = await checkLedgerInvariants(client, new Date(Date.now() - config.outbox.retentionMs));
    for (const result of results) {
      const mark = result.violations.length ? 'FAIL' : 'ok  ';
      console.log(`${mark} ${result.name}: ${result.description}`);
      for (const violation of result.violations) console.log(`       ${JSON.stringify(violation)}`);
    }
    const failed = results.filter((result) => result.violations.length > 0).length;
    console.log(`${results.length - failed} passed, ${failed} failed in ${Date.now() - started} ms`);
    return failed ? 1 : 0;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(2);
  },
);
