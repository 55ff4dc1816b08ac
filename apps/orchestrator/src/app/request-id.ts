/**
 * @module request-id
 * Every request gets an id: the caller's `X-Request-Id` when it is a sane token, else a new one.
 * It comes back on the response and is on every log line of the request, so a user's report and
 * the server's log meet. Each request is logged once when it ends, with its status and time.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, Principal } from '@umca/contracts';
import type { AccessGrant } from '@umca/policy';
import type { MiddlewareHandler } from 'hono';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

export type RequestVariables = {
  requestId: string;
  log: Logger;
  /** Who asked; set by authenticate-requests.ts on every path that needs a token. */
  principal?: Principal;
  /** What they may do. */
  grant?: AccessGrant;
};

/** The app's environment: every handler can read its request's id and logger. */
export type EdgeEnv = { Variables: RequestVariables };

export function requestId(logger: Logger & { child?(bindings: Record<string, unknown>): Logger }): MiddlewareHandler<EdgeEnv> {
  return async (context, next) => {
    const given = context.req.header('x-request-id');
    const id = given && SANE.test(given) ? given : `req_${randomUUID()}`;
    const log = logger.child?.({ requestId: id }) ?? logger;
    context.set('requestId', id);
    context.set('log', log);
    const started = performance.now();
    await next();
    context.res.headers.set('x-request-id', id);
    const fields = {
      method: context.req.method,
      path: context.req.path,
      status: context.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (context.res.status >= 500) log.warn(fields, 'request failed');
    else if (context.res.status >= 400) log.info(fields, 'request refused');
    else log.debug?.(fields, 'request');
  };
}
