/**
 * @module create-logger
 * The service's structured logger (pino) on stderr: one JSON object per line for machines, or
 * readable lines on a terminal. Every request's lines carry its request id (see request-id.ts);
 * errors carry their cause under `err`. Standard output stays free for what commands print.
 */
import type { Logger } from '@umca/contracts';
import { type DestinationStream, pino } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerSettings {
  level?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Default: pretty when stderr is a terminal, JSON otherwise. */
  format?: 'pretty' | 'json';
  /** Where lines go (tests pass their own). Default: stderr. */
  destination?: DestinationStream;
}

export type ServiceLogger = Logger & { child(bindings: Record<string, unknown>): ServiceLogger };

export function createLogger(settings: LoggerSettings = {}): ServiceLogger {
  const format = settings.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const destination =
    settings.destination ??
    (format === 'pretty'
      ? pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' })
      : pino.destination(2));
  return pino({ level: settings.level ?? 'info', base: { service: 'umca' } }, destination) as unknown as ServiceLogger;
}
