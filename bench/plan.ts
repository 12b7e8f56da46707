import type { ComparedBaseline } from './headlineBaseline.js';
import type { LoadKind } from './loadScenarios.js';

// What one run measures: the five write scenarios, authorize-then-capture and a multi-leg payment, and the service
// configurations they run in.

export type ScenarioName = 'uniform' | 'hot account' | 'deposit/withdraw' | 'mixed 80% reads' | 'latency at half peak' | 'authorize_capture' | 'multi_leg_payment';

export interface Scenario {
  number: number;
  kind: LoadKind;
  /** The pgbench baseline whose throughput this scenario's is compared with. */
  baseline?: ComparedBaseline;
  /** Runs at half the throughput this scenario reached in the same configuration. */
  halfOfPeakOf?: ScenarioName;
  /** Multiplies BENCH_DURATION_S: a p99 needs more samples than a throughput does. */
  durationFactor?: number;
  /**
   * Seconds of this scenario's own load, unmeasured, right before it (at most the warm-up's): the
   * service's warm-up sends transfers, so the code of another write path has not run yet.
   */
  ownWarmUpSeconds?: number;
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  uniform: { number: 1, kind: 'uniform', baseline: 'uniform' },
  'hot account': { number: 2, kind: 'hot', baseline: 'hot' },
  // One hot row (the settlement account) and one random row per transaction: the hot transfer is its nearest baseline.
  'deposit/withdraw': { number: 3, kind: 'deposit_withdraw', baseline: 'hot' },
  'mixed 80% reads': { number: 4, kind: 'mixed' },
  // 10 s runs gave p99s from 17 to 28 ms (a stall of 30-50 ms in the wrong second moves a 10 s
  // p99); 30 s runs of the same load gave 17-19 ms, three times in a row.
  'latency at half peak': { number: 5, kind: 'uniform', halfOfPeakOf: 'uniform', durationFactor: 3 },
  // A hold, then its capture, per connection in a loop: two writes per pair, beside scenario 1's one.
  authorize_capture: { number: 6, kind: 'authorize_capture', baseline: 'authorize_capture', ownWarmUpSeconds: 2 },
  // A payer pays a merchant, a fee and a tax in one three-leg transaction, beside scenario 1's plain transfer.
  multi_leg_payment: { number: 7, kind: 'multi_leg_payment', baseline: 'multi_leg_payment', ownWarmUpSeconds: 2 },
};

export interface ServiceConfiguration {
  name: string;
  environment: Record<string, string>;
  scenarios: ScenarioName[];
}

// Every configuration names its PARTITION_MODE, so each run measures both modes whatever the
// service's default is. The default (worker threads) runs first and fullest; the relay's runs use it.
export const SERVICE_CONFIGURATIONS: ServiceConfiguration[] = [
  {
    name: 'worker',
    environment: { PARTITION_MODE: 'worker' },
    scenarios: ['uniform', 'hot account', 'deposit/withdraw', 'mixed 80% reads', 'latency at half peak', 'authorize_capture', 'multi_leg_payment'],
  },
  // With its own latency run: which mode should be the default depends on its p99 too.
  {
    name: 'inline',
    environment: { PARTITION_MODE: 'inline' },
    scenarios: ['uniform', 'hot account', 'latency at half peak', 'authorize_capture'],
  },
  // The default is one partition per two cores (1 here): two, measured beside it, show why.
  {
    name: 'PARTITIONS=2',
    environment: { PARTITION_MODE: 'worker', PARTITIONS: '2' },
    scenarios: ['uniform', 'hot account', 'latency at half peak'],
  },
  { name: 'BATCH_MAX=1', environment: { PARTITION_MODE: 'worker', BATCH_MAX: '1' }, scenarios: ['uniform', 'hot account'] },
  // What the metrics cost: the default with no metrics kept at all.
  { name: 'METRICS_PORT=off', environment: { PARTITION_MODE: 'worker', METRICS_PORT: 'off' }, scenarios: ['uniform'] },
];
