/**
 * @module logger
 * The runner's default logger, for library and CLI use: one line per message on stderr. A server
 * passes its own (pino) logger instead; both have the shape of `Logger` in the contracts.
 */
import type { LogFunction, Logger } from '@umca/contracts';

function stderrLine(prefix: string): LogFunction {
  return ((first: string | Record<string, unknown>, message?: string) => {
    const text = typeof first === 'string' ? first : `${message ?? ''}${Object.keys(first).length ? ` ${JSON.stringify(first)}` : ''}`;
    process.stderr.write(`umca: ${prefix}${text}\n`);
  }) as LogFunction;
}

export const stderrLogger: Logger = {
  info: stderrLine(''),
  warn: stderrLine('warning: '),
  error: stderrLine('error: '),
};
