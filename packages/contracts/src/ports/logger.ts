/**
 * @module logger
 * What UMCA's packages log through: pino's shape (a message, or an object of fields and a
 * message), so the service passes its pino logger and a library user can pass `console`-like
 * objects. Levels: debug for detail, info for facts, warn for what an operator should look at,
 * error for failures (with the error itself under `err`).
 */
export interface LogFunction {
  (message: string): void;
  (fields: Record<string, unknown>, message?: string): void;
}

export interface Logger {
  debug?: LogFunction;
  info: LogFunction;
  warn: LogFunction;
  error: LogFunction;
}
