/**
 * @module ui-routes
 * The web UI: its page at `/` and the files it loads, each a route of its own. The page routes by
 * the URL's fragment (`#/runs/{id}`), so no other path is the UI's: an unknown path is a 404
 * problem, never the page with a 200.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { EdgeEnv } from '../app/request-id.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Serves `uiDir`'s files (read when asked, so a rebuilt UI shows at once) and its index.html at `/`. `connectTo`: other origins the page may fetch from (the issuer it signs in at). */
export function registerUiRoutes(app: OpenAPIHono<EdgeEnv>, uiDir: string, options: { connectTo?: readonly string[] } = {}): void {
  const headers = {
    'cache-control': 'no-cache',
    // img-src blob: shows the pictures a run wrote, decoded in the page (never fetched from elsewhere).
    'content-security-policy': `default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob:; connect-src ${["'self'", ...(options.connectTo ?? [])].join(' ')}`,
    'x-content-type-options': 'nosniff',
  };
  const serve = (file: string) => async (context: Context) =>
    context.body(await readFile(join(uiDir, file)), 200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      ...headers,
    });
  app.get('/', serve('index.html'));
  // The file names are fixed when the server starts: a route is never made from what a request asks for.
  for (const name of readdirSync(uiDir)) {
    if (statSync(join(uiDir, name)).isFile()) app.get(`/${name}`, serve(name));
  }
}
