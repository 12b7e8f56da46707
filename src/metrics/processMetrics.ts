import { readdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';

// The process metrics every Node service exports, read only when Prometheus scrapes. prom-client's
// collectDefaultMetrics also keeps a garbage-collection observer and an event-loop delay monitor
// running between scrapes; with them on, the service spent measurably more of its main thread on
// each write (docs/performance.md), so these keep the standard names and read everything at scrape.

export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  // CPU time since the process started, as prom-client counts it; each counter reads its own part
  // (the registry reads metrics in turn, so one metric's collect cannot fill in another's).
  const cpuCounter = (name: string, help: string, seconds: (usage: NodeJS.CpuUsage) => number) => {
    let counted = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const total = seconds(process.cpuUsage());
        this.inc(total - counted);
        counted = total;
      },
    });
  };
  cpuCounter('process_cpu_user_seconds_total', 'User CPU time spent in seconds', (usage) => usage.user / 1e6);
  cpuCounter('process_cpu_system_seconds_total', 'System CPU time spent in seconds', (usage) => usage.system / 1e6);
  cpuCounter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds', (usage) => (usage.user + usage.system) / 1e6);
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds',
    registers,
  }).set(Math.round(performance.timeOrigin / 1000));
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors',
    registers,
    async collect() {
      // Linux only, as prom-client's own; elsewhere the gauge stays 0.
      this.set(await readdir('/proc/self/fd').then((entries) => entries.length, () => 0));
    },
  });
  new Gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'Process heap size from Node.js in bytes',
    registers,
    collect() {
      this.set(process.memoryUsage().heapTotal);
    },
  });
  new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds, measured at the scrape',
    registers,
    async collect() {
      const started = performance.now();
      await new Promise((resolve) => setImmediate(resolve));
      this.set((performance.now() - started) / 1000);
    },
  });
  let utilizationBefore = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of the time since the previous scrape the main thread was busy (1 = saturated)',
    registers,
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, utilizationBefore).utilization);
      utilizationBefore = now;
    },
  });
}
