import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../config.js';
import { createPool } from '../db/pool.js';
import { replayDeadLetters, type DeadLetterSelection } from '../relay/sql/replayDeadLetters.js';

// `npm run outbox:replay -- --all | --id <event id> [--id ...] | --type <event type> [--type ...]`
// Moves dead letters back into the outbox with a fresh attempt budget and prints how many moved.
// A running relay is woken by the insert and publishes them at once.

const USAGE = 'usage: outbox:replay --all | --id <event id> [--id <event id>...] | --type <event type> [--type <event type>...]';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class UsageError extends Error {}

function parseSelection(args: string[]): DeadLetterSelection {
  const { values } = parseArgs({
    args,
    options: { all: { type: 'boolean' }, id: { type: 'string', multiple: true }, type: { type: 'string', multiple: true } },
    strict: true,
    allowPositionals: false,
  });
  const eventIds = values.id ?? [];
  const eventTypes = values.type ?? [];
  if (values.all && (eventIds.length > 0 || eventTypes.length > 0)) throw new UsageError('--all cannot be combined with --id or --type');
  if (values.all) return { all: true };
  if (eventIds.length === 0 && eventTypes.length === 0) throw new UsageError('say which dead letters to replay');
  const badId = eventIds.find((id) => !UUID_PATTERN.test(id));
  if (badId !== undefined) throw new UsageError(`--id must be an event id (a UUID), got "${badId}"`);
  const badType = eventTypes.find((type) => type.trim() === '');
  if (badType !== undefined) throw new UsageError('--type must not be empty');
  return { all: false, eventIds, eventTypes };
}

async function main(): Promise<void> {
  const selection = parseSelection(process.argv.slice(2));
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required to replay dead letters');
  const pool = createPool(config.databaseUrl, 1, { applicationName: 'wallet-ledger-outbox-replay' });
  try {
    const moved = await replayDeadLetters(pool, selection);
    console.log(`moved ${moved} dead letter${moved === 1 ? '' : 's'} back to the outbox`);
  } finally {
    await pool.end();
  }
}

/** node:util parseArgs rejects unknown options and missing values with ERR_PARSE_ARGS_* codes. */
function isArgumentError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
  else if (error instanceof ConfigError) console.error(error.message);
  else if (isArgumentError(error)) console.error(`${(error as Error).message}\n${USAGE}`);
  else console.error(error);
  process.exit(1);
});
