// A Prometheus histogram counted in plain arrays and written out in the text format at scrape.
// It is for the one observation every HTTP request makes: prom-client's Histogram validates and
// hashes the labels at each observation (about 2 µs, measured), which the request path should not
// pay; here a request adds to the counts of a series its caller looked up once.

export class HistogramSeries {
  /** Observations at or below each bound (not cumulative: summed at rendering), then above the last. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sum += value;
    this.count++;
  }
}

export class PlainHistogram<Label extends string> {
  private readonly series = new Map<string, { labels: Record<Label, string>; series: HistogramSeries }>();

  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  /** The series of `labels`, made on first use. `key` names it (callers build it without allocating labels). */
  seriesOf(key: string, labels: () => Record<Label, string>): HistogramSeries {
    let found = this.series.get(key);
    if (!found) {
      found = { labels: labels(), series: new HistogramSeries(this.bounds) };
      this.series.set(key, found);
    }
    return found.series;
  }

  /** The histogram in Prometheus's text exposition format (version 0.0.4). */
  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`];
    for (const { labels, series } of this.series.values()) {
      const labelText = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabelValue(value as string)}"`).join(',');
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += series.counts[index]!;
        lines.push(`${this.name}_bucket{${labelText},le="${bound}"} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket{${labelText},le="+Inf"} ${series.count}`);
      lines.push(`${this.name}_sum{${labelText}} ${series.sum}`);
      lines.push(`${this.name}_count{${labelText}} ${series.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function escapeLabelValue(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
