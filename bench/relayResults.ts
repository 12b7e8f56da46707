// The relay part of a benchmark run, as written to bench/results/<date>.json under `relay`.

export interface RelayDrain {
  /** What the backlog's events announce: transfers, or captured holds (three events each). Absent in older runs: postings. */
  kind?: 'postings' | 'holds';
  /** Relay processes draining the backlog side by side. */
  relays: number;
  /** Outbox rows in the backlog, and messages the consumer received (duplicates included). */
  events: number;
  deliveries: number;
  /** From the first delivery to the last, in seconds. */
  seconds: number;
  eventsPerSecond: number;
  /** eventsPerSecond divided by the service's peak write rate of the same run (scenario 1), or for holds by holdEventRate. */
  ratioToPeakWriteRate?: number;
  /** Exit codes of the relay processes after SIGTERM. */
  exitCodes: Array<number | null>;
  cpuPercent: Record<string, number>;
}

export interface RelayLatency {
  /** `listen`: LISTEN/NOTIFY wake-ups (the default); `poll`: OUTBOX_LISTEN=false, the poll alone. */
  wakeUp: 'listen' | 'poll';
  relayEnvironment: Record<string, string>;
  /** HTTP transfers per second asked of the load generator, and the 201 answers per second it got. */
  targetRate: number;
  writeRate: number;
  /** The same writes' HTTP latency (request to 201), for scale. */
  httpLatencyMs: { p50: number; p99: number };
  /** Events delivered whose event time falls in the measurement. */
  events: number;
  /**
   * Delivery time at the consumer minus the envelope's `time` (stamped when the write batch is
   * planned, just before its database transaction): commit-to-delivery plus the commit itself.
   */
  deliveryLatencyMs: { p50: number; p90: number; p99: number; max: number };
  cpuPercent: Record<string, number>;
}

export interface RelayReport {
  broker: string;
  /** Mean size of a backlog event's body in bytes (a real transfer.posted envelope, copied). */
  eventBytes: number;
  /** The service's peak write rate in this run (scenario 1 uniform, the first configuration), in transfers per second. */
  peakWriteRate?: number;
  /** The events per second the same configuration wrote authorizing and capturing holds (scenario 6: three events a pair). */
  holdEventRate?: number;
  drains: RelayDrain[];
  latencies: RelayLatency[];
}

/** What is asked of the relay: its targets. */
export const DELIVERY_P99_TARGET_MS = 50;
