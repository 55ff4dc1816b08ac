/**
 * @module logger
 * The runner's logging interface. The default writes to stderr; a server passes its own.
 */
export interface Logger {
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrLogger: Logger = {
  info: (message) => process.stderr.write(`umca: ${message}\n`),
  warn: (message) => process.stderr.write(`umca: warning: ${message}\n`),
  error: (message) => process.stderr.write(`umca: error: ${message}\n`),
};
