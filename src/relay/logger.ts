import { pino, type DestinationStream } from 'pino';

// The relay's log, written by pino like the service's. Call sites read message first, fields
// second; callers pass fields, never connection strings, so that secrets stay out of the log.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const log = destination ? pino({ level, name }, destination) : pino({ level, name });
  return {
    debug: (message, fields = {}) => log.debug(fields, message),
    info: (message, fields = {}) => log.info(fields, message),
    warn: (message, fields = {}) => log.warn(fields, message),
    error: (message, fields = {}) => log.error(fields, message),
  };
}

export const silentLogger: Logger = createLogger('silent', 'silent');

/** An error's message for a log line or a last_error column, without its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
