import pg from 'pg';

// Where PostgreSQL's backends spend a measurement: pg_stat_activity sampled every few
// milliseconds, counted by wait event, state and statement. "Client:ClientRead | idle in
// transaction" is a database transaction waiting for its client (row locks held meanwhile);
// "Lock:object" at COMMIT is the global NOTIFY lock; "IO:WalSync" is the commit's fsync.

const SAMPLE_INTERVAL_MS = 10;
const STATEMENT_PREFIX_CHARS = 48;
const KEPT_ENTRIES = 10;

export interface WaitShare {
  /** Average number of backends in this situation over the measurement. */
  backends: number;
  wait: string;
  state: string;
  statement: string;
}

export class WaitSampler {
  private readonly counts = new Map<string, number>();
  private samples = 0;
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: pg.Client,
    private readonly applicationName: string,
  ) {}

  /** `applicationName` is a LIKE pattern: 'wallet-ledger%' takes the service's pools, 'pgbench' pgbench's. */
  static async start(databaseUrl: string, applicationName: string): Promise<WaitSampler> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'wallet-ledger-bench-sampler' });
    await client.connect();
    const sampler = new WaitSampler(client, applicationName);
    sampler.loop = sampler.run();
    return sampler;
  }

  async stop(): Promise<WaitShare[]> {
    this.running = false;
    await this.loop;
    await this.client.end();
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, KEPT_ENTRIES)
      .map(([key, count]) => {
        const [wait, state, statement] = key.split('\u0000') as [string, string, string];
        return { backends: Math.round((100 * count) / Math.max(1, this.samples)) / 100, wait, state, statement };
      });
  }

  private async run(): Promise<void> {
    while (this.running) {
      const result = await this.client.query<{ wait: string; state: string; statement: string }>({
        name: 'sample_wait_events',
        text: `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait, state,
                      regexp_replace(left(query, $2), '\\s+', ' ', 'g') AS statement
               FROM pg_stat_activity
               WHERE application_name LIKE $1 AND application_name NOT LIKE 'wallet-ledger-bench%'
                 AND state IS DISTINCT FROM 'idle'`,
        values: [this.applicationName, STATEMENT_PREFIX_CHARS],
      });
      this.samples++;
      for (const row of result.rows) {
        const key = [row.wait, row.state, row.statement.trim()].join('\u0000');
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS));
    }
  }
}
