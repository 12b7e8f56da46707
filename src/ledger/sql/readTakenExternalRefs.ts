import type pg from 'pg';

export async function readTakenExternalRefs(client: pg.PoolClient, refs: string[]): Promise<Set<string>> {
  const result = await client.query<{ external_ref: string }>({
    name: 'read_taken_external_refs',
    text: 'SELECT external_ref FROM accounts WHERE external_ref = ANY($1::text[])',
    values: [refs],
  });
  return new Set(result.rows.map((row) => row.external_ref));
}
