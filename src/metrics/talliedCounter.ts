import { Counter, type CounterConfiguration } from 'prom-client';

// A prom-client Counter whose increments are tallied in a map on the request path and handed to it
// when Prometheus scrapes: Counter.inc validates and hashes its labels at each call (about 1 µs,
// measured), which every write should not pay. The exported series are the Counter's own.

export class TalliedCounter<Label extends string> {
  private readonly pending = new Map<string, { labels: Record<Label, string>; count: number }>();

  constructor(configuration: Omit<CounterConfiguration<Label>, 'collect'>) {
    const pending = this.pending;
    new Counter<Label>({
      ...configuration,
      collect() {
        for (const entry of pending.values()) {
          if (entry.count > 0) this.inc(entry.labels, entry.count);
          entry.count = 0;
        }
      },
    });
  }

  /** Adds one to the series `key` names; `labels` makes its labels the first time. */
  increment(key: string, labels: () => Record<Label, string>): void {
    const entry = this.pending.get(key);
    if (entry) entry.count++;
    else this.pending.set(key, { labels: labels(), count: 1 });
  }
}
