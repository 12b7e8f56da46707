// The V8 flags the server runs with. They go on node's command line (`npm start`, railway.json,
// nixpacks.toml; test/process/gcTuning.test.ts checks all three): V8 reads them while it sets up
// the heap, and Node documents flags changed after start-up (v8.setFlagsFromString) as undefined
// behaviour. NODE_OPTIONS cannot carry them: it accepts only a short list of V8 flags.
//
// The service's latency stalls at half of peak were V8's full (mark-compact) collections: 22-29 ms
// of marking on two cores. Measured with --trace-gc at 2,100 transfers/s (README.md, Performance,
// "p99 at half of peak"):
//
// - With allocation-site pretenuring, V8 moves request objects that outlive a scavenge or two
//   (queries, batch parameters) to allocating straight in the old generation; the service then
//   promoted 10 MiB/s, all of it dead by the next full collection (a heap snapshot holds none of
//   it), and ran one every ~7 s. Without it: 2 MiB/s, same throughput.
// - After a full collection V8 sets the next one's threshold from how cheap the last one was: with
//   ~23 MiB live it allowed 6 MiB of growth, so one came every 3 s even at 2 MiB/s. Growing 4x
//   (V8's own largest factor) spaces them ~30 s apart; the old generation still peaks under
//   100 MiB, as it did with the defaults (peak RSS in the bench unchanged, ~190 MiB).
export const SERVER_V8_FLAGS = ['--no-allocation-site-pretenuring', '--heap-growing-percent=300'] as const;

/** The flags this process was started without (the server logs them: it runs untuned). */
export function missingServerV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  return SERVER_V8_FLAGS.filter((flag) => !execArgv.includes(flag));
}
