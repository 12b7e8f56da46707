import { withClient } from './database.js';

// The primary's WAL around a measurement: bytes from the WAL position (exact), records, full-page
// images, writes and syncs from pg_stat_wal (PostgreSQL 14 to 17, where it still counts writes and
// syncs). A backend hands its counters to pg_stat_wal at most once a second while busy and within
// 10 s of going idle (PGSTAT_IDLE_INTERVAL), so the closing reading waits that long after the load.

/** Longer than PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s): every idle backend has reported by then. */
export const WAL_STATS_SETTLE_MS = 11_000;

export interface WalReading {
  /** pg_current_wal_lsn() as text, e.g. "0/3A2B1C8". */
  lsn: string;
  records: number;
  fullPageImages: number;
  bytes: number;
  writes: number;
  syncs: number;
}

export interface WalDelta {
  /** WAL written, by the position: exact, and independent of when backends report. */
  lsnBytes: number;
  /** The same by pg_stat_wal (records only, no page headers): a check that the counters had caught up. */
  statsBytes: number;
  records: number;
  fullPageImages: number;
  writes: number;
  syncs: number;
}

const READ_WAL_SQL = `
SELECT pg_current_wal_lsn()::text AS lsn, wal_records::text AS records, wal_fpi::text AS fpi,
       wal_bytes::text AS bytes, wal_write::text AS writes, wal_sync::text AS syncs
FROM pg_stat_wal`;

export async function readWal(url: string): Promise<WalReading> {
  return withClient(url, async (client) => {
    const row = (await client.query<Record<'lsn' | 'records' | 'fpi' | 'bytes' | 'writes' | 'syncs', string>>(READ_WAL_SQL)).rows[0]!;
    return {
      lsn: row.lsn, records: Number(row.records), fullPageImages: Number(row.fpi),
      bytes: Number(row.bytes), writes: Number(row.writes), syncs: Number(row.syncs),
    };
  });
}

export function walDelta(before: WalReading, after: WalReading): WalDelta {
  return {
    lsnBytes: Number(lsnToBytes(after.lsn) - lsnToBytes(before.lsn)),
    statsBytes: after.bytes - before.bytes,
    records: after.records - before.records,
    fullPageImages: after.fullPageImages - before.fullPageImages,
    writes: after.writes - before.writes,
    syncs: after.syncs - before.syncs,
  };
}

/** A WAL position "X/Y" (two hexadecimal halves of a 64-bit byte offset) as a byte count. */
export function lsnToBytes(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new Error(`not a WAL position: "${lsn}"`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

export async function readWalSyncMethod(url: string): Promise<string> {
  return withClient(url, async (client) => (await client.query<{ wal_sync_method: string }>('SHOW wal_sync_method')).rows[0]!.wal_sync_method);
}
