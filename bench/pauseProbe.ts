import { monitorEventLoopDelay } from 'node:perf_hooks';

// An idle process run beside a fixed-rate load. Its only work is the delay monitor's own 5 ms
// timer, so its longest event-loop delay is the longest time the machine did not run it: a pause
// of the whole machine (measured here: the service, the load generator and this probe all late by
// 20-28 ms at the same instant, with a third of the CPU idle), not the service's own stall.
// Asked over IPC, it answers with that delay and exits.

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
process.send!('ready');
process.once('message', () => {
  delay.disable();
  process.send!({ maxDelayMs: Math.round(delay.max / 1e5) / 10 }, () => process.exit(0));
});
