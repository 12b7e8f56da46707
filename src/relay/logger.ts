// The relay's log: one JSON object per line on stdout, filtered by LOG_LEVEL. Callers pass
// fields, never connection strings, so that secrets (broker password, SECRET_KEY) stay out of it.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const LEVEL_RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

export function createLogger(level: string, name: string, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const threshold = LEVEL_RANK[level] ?? LEVEL_RANK.info!;
  const emit = (levelName: string) => (message: string, fields: LogFields = {}) => {
    if (LEVEL_RANK[levelName]! < threshold) return;
    write(`${JSON.stringify({ level: levelName, time: new Date().toISOString(), name, message, ...fields })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** An error's message for a log line or a last_error column, without its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
