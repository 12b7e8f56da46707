import type pg from 'pg';

export interface AccountKind {
  kind: 'user' | 'settlement';
  currency: string;
}

/** Kind and currency never change after an account is opened, so callers may cache them. */
export async function readAccountKinds(db: pg.Pool | pg.PoolClient, ids: string[]): Promise<Map<string, AccountKind>> {
  const result = await db.query<{ id: string } & AccountKind>({
    name: 'read_account_kinds',
    text: 'SELECT id, kind, currency FROM accounts WHERE id = ANY($1::uuid[])',
    values: [ids],
  });
  return new Map(result.rows.map((row) => [row.id, { kind: row.kind, currency: row.currency }]));
}
