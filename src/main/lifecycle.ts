import { ConfigError, loadConfig, type Config } from '../config.js';

// What every process entry point shares: configuration or one clear line, and graceful shutdown.

/** The configuration; a bad environment ends the process with the one line naming the variable. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) exitWithMessage(error.message);
    throw error;
  }
}

export function exitWithMessage(message: string): never {
  console.error(message);
  process.exit(1);
}

/**
 * On the first SIGTERM or SIGINT runs `stop` and exits 0; exits 1 after `timeoutMs` if `stop`
 * has not finished by then (calling `onTimeout` first, to say so).
 */
export function stopOnSignal(timeoutMs: number, stop: (signal: string) => Promise<void>, onTimeout: () => void): void {
  let stopping = false;
  const handle = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      onTimeout();
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    await stop(signal);
    process.exit(0);
  };
  process.on('SIGTERM', () => void handle('SIGTERM'));
  process.on('SIGINT', () => void handle('SIGINT'));
}
