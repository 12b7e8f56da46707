import { pino, type DestinationStream } from 'pino';

// The one shape of a log in this project: pino's, fields first and message second, so that the
// service's pino logger, the relay's and a test's stand-in are interchangeable. Callers pass
// fields, never connection strings, so that secrets stay out of the log.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return destination ? pino({ level, name }, destination) : pino({ level, name });
}

export const silentLogger: Logger = createLogger('silent', 'silent');

/** An error's message for a log line or a last_error column, without its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
