// The V8 flags the server runs with. They go on node's command line (`npm start`, railway.json,
// nixpacks.toml; test/process/gcTuning.test.ts checks all three): V8 reads them while it sets up
// the heap, and Node documents flags changed after start-up (v8.setFlagsFromString) as undefined
// behaviour. NODE_OPTIONS cannot carry them: it accepts only a short list of V8 flags.
//
// The latency stalls at half of peak were V8's full collections (docs/performance.md, Analysis).
// Without allocation-site pretenuring, short-lived request objects are no longer
// allocated straight in the old generation; a 4x heap growth factor spaces full collections out.
export const SERVER_V8_FLAGS = ['--no-allocation-site-pretenuring', '--heap-growing-percent=300'] as const;

/** The flags this process was started without (the server logs them: it runs untuned). */
export function missingServerV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  return SERVER_V8_FLAGS.filter((flag) => !execArgv.includes(flag));
}
