import { spawn, type ChildProcess } from 'node:child_process';

// A built entry point of the project (dist/…) run as its own process, as the bench runs the
// service and the relays: its output's tail kept for the report, and a stop that waits for exit.

const STOP_TIMEOUT_MS = 20_000;
const OUTPUT_KEPT_CHARS = 4_000;

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  /** The last lines it printed, for the report when something fails. */
  output(): string;
  /** SIGTERM (SIGKILL after STOP_TIMEOUT_MS), then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `cwd`: the checkout the entry belongs to (another git ref's worktree in an A/B); this process's by default.
 * `nodeArguments` go before the entry, as `npm start` puts the server's V8 flags.
 */
export function startNodeProcess(
  entry: string,
  environment: Record<string, string>,
  cwd?: string,
  nodeArguments: readonly string[] = [],
): NodeProcess {
  const child = spawn(process.execPath, [...nodeArguments, entry], {
    ...(cwd ? { cwd } : {}),
    env: { PATH: process.env.PATH, ENVIRONMENT: 'development', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT_CHARS));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
