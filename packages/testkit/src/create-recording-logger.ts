/**
 * @module create-recording-logger
 * A logger that keeps what it is told, for tests that prove a failure was logged (with its cause
 * and request id) rather than swallowed. It has pino's shape, including `child`.
 */
import type { LogFunction, Logger } from '@umca/contracts';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface RecordingLogger extends Logger {
  readonly entries: LogEntry[];
  child(bindings: Record<string, unknown>): RecordingLogger;
}

export function createRecordingLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): RecordingLogger {
  const at = (level: LogEntry['level']): LogFunction =>
    ((first: string | Record<string, unknown>, message?: string) => {
      const fields = typeof first === 'string' ? { ...bindings } : { ...bindings, ...first };
      entries.push({ level, message: typeof first === 'string' ? first : (message ?? ''), fields });
    }) as LogFunction;
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => createRecordingLogger(entries, { ...bindings, ...more }),
  };
}
