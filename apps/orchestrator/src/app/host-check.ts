/**
 * @module host-check
 * DNS-rebinding protection for the whole service: a request whose Host header is not one of the
 * names the server answers to is refused, so a web page on another origin that resolves its name
 * to 127.0.0.1 cannot drive a local UMCA. Cross-origin browser requests carry an Origin header,
 * which must name an allowed host too. `Origin: null` (an opaque origin: a sandboxed iframe, a
 * `data:` or `file:` page, a redirect across origins) names no host, so it is refused like any
 * other foreign origin; clients that are not browsers send no Origin at all.
 */
import type { MiddlewareHandler } from 'hono';
import { problemResponse } from './problem.js';

export function hostCheck(allowedHosts: () => ReadonlySet<string>): MiddlewareHandler {
  return async (context, next) => {
    const allowed = allowedHosts();
    const host = (context.req.header('host') ?? '').toLowerCase();
    if (!allowed.has(host)) {
      return problemResponse(context, {
        status: 421,
        title: 'Misdirected request',
        code: 'misdirected_request',
        detail: `this server does not answer to the host ${JSON.stringify(host)}; use one of ${[...allowed].join(', ')} (or add the name with --allowed-host)`,
      });
    }
    const origin = context.req.header('origin');
    if (origin === 'null') {
      return problemResponse(context, {
        status: 403,
        title: 'Forbidden origin',
        code: 'forbidden_origin',
        detail:
          'requests from an opaque origin (Origin: null: a sandboxed frame, a data: or file: page, a redirect from another site) are not allowed; UMCA answers pages it serves itself',
      });
    }
    if (origin) {
      let originHost = '';
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        // an unparsable Origin is not an allowed one
      }
      if (!allowed.has(originHost)) {
        return problemResponse(context, {
          status: 403,
          title: 'Forbidden origin',
          detail: `requests from the origin ${JSON.stringify(origin)} are not allowed; UMCA answers pages it serves itself`,
        });
      }
    }
    await next();
  };
}
