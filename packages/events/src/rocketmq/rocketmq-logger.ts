/**
 * @module rocketmq-logger
 * The RocketMQ client's log lines (printf style) on UMCA's logger. Its chatter goes to debug; its
 * warnings and errors (mostly its own retries while a broker is away) are warnings, each kind said
 * at most once a minute, so that an outage is visible without flooding the log. Without this the
 * client writes log files under the home folder.
 */
import { format } from 'node:util';
import type { Logger } from '@umca/contracts';

const REPEAT_AFTER_MS = 60_000;

export function rocketMqLogger(logger: Logger, component: string, now: () => number = Date.now) {
  const line = (args: unknown[]) => `rocketmq ${component}: ${format(...args)}`;
  const lastSaid = new Map<string, number>();
  const warn = (...args: unknown[]) => {
    const text = line(args);
    // The same failure with other ids, ports or times is the same kind.
    const kind =
      text
        .split('\n')[0]
        ?.replace(/[0-9a-f]{6,}|\d+/gi, '#')
        .slice(0, 200) ?? text;
    const said = lastSaid.get(kind);
    if (said !== undefined && now() - said < REPEAT_AFTER_MS) return;
    lastSaid.set(kind, now());
    if (lastSaid.size > 1000) lastSaid.clear();
    logger.warn(text.split('\n')[0] ?? text);
  };
  return {
    info: (...args: unknown[]) => logger.debug?.(line(args)),
    debug: (...args: unknown[]) => logger.debug?.(line(args)),
    warn,
    error: warn,
    close: () => {},
  };
}

/** A client's start, bounded: the client retries a refused start forever (a missing consumer group). */
export async function startWithin<T>(start: Promise<T>, ms: number, refusal: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      start,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(refusal()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
