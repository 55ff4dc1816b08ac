/**
 * @module method-not-allowed
 * What a request that no route answered gets: 405 with `Allow` when the path exists with other
 * methods (RFC 9110 §15.5.6), 204 with `Allow` for OPTIONS on such a path, and a problem+json 404
 * otherwise. Paths are matched by the app's own router, so the answer can never disagree with
 * the routes.
 */
import type { Context } from 'hono';
import { problemResponse } from './problem.js';

/** Hono stores `[handler, route]` pairs in its router; `route.method` is "ALL" for middleware. */
type RouterEntry = [[unknown, { method: string }], unknown];

/** The parts of a Hono app this reads. */
interface RoutedApp {
  readonly routes: readonly { method: string }[];
  readonly router: { match(method: string, path: string): unknown };
}

/** The methods some route answers at `path` (HEAD wherever GET is). */
export function allowedMethods(app: RoutedApp, path: string): string[] {
  const methods = new Set(app.routes.map((route) => route.method).filter((method) => method !== 'ALL'));
  const allowed = [...methods].filter((method) => {
    const [entries] = app.router.match(method, path) as unknown as [RouterEntry[]];
    return entries.some(([[, route]]) => route.method === method);
  });
  if (allowed.includes('GET')) allowed.push('HEAD');
  return allowed.sort();
}

/** The app's answer when no route took the request. */
export function answerUnrouted(app: RoutedApp, context: Context): Response {
  const path = context.req.path;
  const allowed = allowedMethods(app, path);
  if (allowed.length === 0) {
    return problemResponse(context, {
      status: 404,
      title: 'Not found',
      code: 'not_found',
      detail: `nothing at ${path}; the API is described at /openapi.json and the web UI is at /`,
    });
  }
  const allow = [...allowed, 'OPTIONS'].sort().join(', ');
  if (context.req.method === 'OPTIONS') return context.body(null, 204, { allow });
  return problemResponse(
    context,
    {
      status: 405,
      title: 'Method not allowed',
      code: 'method_not_allowed',
      detail: `${path} does not take ${context.req.method}; it takes ${allowed.join(', ')}`,
    },
    { allow },
  );
}
