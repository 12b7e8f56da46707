import { DELIVERY_P99_TARGET_MS, type RelayReport } from './relayResults.js';

// The relay's rows in the run's table and its bars in the chart.

/** Rows in the columns of the main table: #, scenario, system, rate, vs, vs project, p50, p99, p99.9, failed, main µs/write, CPU. */
export function relayTableRows(relay: RelayReport): string[][] {
  const drains = relay.drains.map((d) => [
    'R', `drain ${d.events.toLocaleString('en-US')} ${d.kind === 'holds' ? 'hold ' : ''}events`, `relay x${d.relays}`, `${d.eventsPerSecond.toLocaleString('en-US')} ev/s`,
    d.ratioToPeakWriteRate === undefined ? '' : `${d.ratioToPeakWriteRate.toFixed(2)}x peak`, '', '', '', '', '', '', cpu(d.cpuPercent, 'relay', ''),
  ]);
  const latencies = relay.latencies.map((l) => [
    'R', `commit-to-delivery @${l.targetRate}/s`, `relay ${wakeUpLabel(l.wakeUp, l.relayEnvironment)}`, `${l.writeRate.toLocaleString('en-US')} ev/s`,
    '', '', l.deliveryLatencyMs.p50.toFixed(0), l.deliveryLatencyMs.p99.toFixed(0), '', '', '', cpu(l.cpuPercent, 'service', 'relay'),
  ]);
  return [...drains, ...latencies];
}

/** The relay's two targets, met or not, in this run's own figures. */
export function relayTargetLines(relay: RelayReport): string[] {
  const lines = [`outbox relay (R rows): ${relay.broker}, events of ${relay.eventBytes} bytes; R rows' CPU is relay/pg/-/other (drain) or svc+relay/pg/load/other (latency)`];
  const single = relay.drains.find((d) => d.relays === 1 && d.kind !== 'holds');
  if (single && relay.peakWriteRate) {
    const met = single.eventsPerSecond > relay.peakWriteRate;
    lines.push(`  drains faster than the write path fills: one relay ${single.eventsPerSecond.toLocaleString('en-US')} events/s vs the service's peak ` +
      `${relay.peakWriteRate.toLocaleString('en-US')} transfers/s (scenario 1) = ${single.ratioToPeakWriteRate?.toFixed(2)}x: ${met ? 'met' : 'NOT MET (the backlog grows at peak)'}`);
  }
  const holds = relay.drains.find((d) => d.kind === 'holds');
  if (holds && relay.holdEventRate) {
    const met = holds.eventsPerSecond > relay.holdEventRate;
    lines.push(`  the same for holds: one relay ${holds.eventsPerSecond.toLocaleString('en-US')} hold events/s vs the ${relay.holdEventRate.toLocaleString('en-US')} ` +
      `events/s of authorize-then-capture (scenario 6) = ${holds.ratioToPeakWriteRate?.toFixed(2)}x: ${met ? 'met' : 'NOT MET (the backlog grows at peak)'}`);
  }
  for (const l of relay.latencies) {
    const p = l.deliveryLatencyMs;
    const verdict = l.wakeUp === 'listen' ? (p.p99 < DELIVERY_P99_TARGET_MS ? ': met' : ': NOT MET') : '';
    lines.push(`  commit-to-delivery, ${wakeUpLabel(l.wakeUp, l.relayEnvironment)}, ${l.events.toLocaleString('en-US')} events at ${l.writeRate}/s: ` +
      `p50 ${p.p50} ms, p90 ${p.p90} ms, p99 ${p.p99} ms, max ${p.max} ms (target p99 < ${DELIVERY_P99_TARGET_MS} ms${verdict}); HTTP p50 ${l.httpLatencyMs.p50} ms, p99 ${l.httpLatencyMs.p99} ms`);
  }
  return lines;
}

/** Bars beside the write scenarios: events per second drained, by relay count, next to the peak write rate. */
export function relayChartBars(relay: RelayReport): Array<{ scenario: string; system: string; throughput: number }> {
  const scenario = 'R relay drain (events/s)';
  const bars = relay.drains.map((d) => ({ scenario, system: `outbox relay x${d.relays}${d.kind === 'holds' ? ', hold events' : ''}`, throughput: d.eventsPerSecond }));
  if (relay.peakWriteRate) bars.push({ scenario, system: 'service over HTTP', throughput: relay.peakWriteRate });
  return bars;
}

function wakeUpLabel(wakeUp: 'listen' | 'poll', environment: Record<string, string>): string {
  return wakeUp === 'listen' ? 'LISTEN/NOTIFY' : `poll ${environment.OUTBOX_POLL_INTERVAL_MS} ms`;
}

function cpu(percent: Record<string, number>, first: string, plus: string): string {
  const value = (name: string) => (percent[name] === undefined ? '?' : percent[name]!.toFixed(0));
  const head = plus ? ((percent[first] ?? 0) + (percent[plus] ?? 0)).toFixed(0) : value(first);
  return `${head}/${value('postgres')}/${first === 'relay' ? '-' : value('load')}/${value('other')} of ${value('machine')}`;
}
