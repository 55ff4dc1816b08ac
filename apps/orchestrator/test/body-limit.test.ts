/**
 * The body limit over a real Node HTTP server (the adapter `umca serve` uses): a declared length
 * over the limit is refused before a byte of the body is read, a chunked body is counted as it
 * comes, and a body within the limit reaches the route whole, either way.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitBody } from '../src/app/body-limit.js';

const LIMIT = 1_000;
let reached = 0;
let server: ReturnType<typeof serve>;
let port = 0;

beforeAll(async () => {
  const app = new Hono();
  app.use('*', limitBody({ maxSize: LIMIT, onError: (context) => context.json({ refused: true }, 413) }));
  app.post('/echo', async (context) => {
    reached++;
    return context.json(await context.req.json());
  });
  app.get('/echo', (context) => context.json({ got: true }));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `parts` one by one (chunked unless `contentLength` is given); resolves with the status and body. */
function send(parts: string[], contentLength?: number, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', connection: 'close' };
    if (contentLength !== undefined) headers['content-length'] = contentLength;
    const outgoing = request({ host: '127.0.0.1', port, path: '/echo', method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    for (const part of parts) outgoing.write(part);
    // A declared length left unsent keeps the request open: only an answer that did not wait for it ends this.
    if (contentLength === undefined || parts.join('').length === contentLength) outgoing.end();
  });
}

describe('limitBody', () => {
  it('passes a body with a Content-Length within the limit to the route, whole', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(LIMIT - 20) });
    const answer = await send([body], Buffer.byteLength(body));
    expect(answer).toEqual({ status: 200, body });
  });

  it('refuses a declared length over the limit at once, without waiting for the body', async () => {
    const before = reached;
    const answer = await send(['{"pad":"'], 10 * LIMIT);
    expect(answer).toEqual({ status: 413, body: '{"refused":true}' });
    expect(reached).toBe(before);
  });

  it('counts a chunked body and refuses it once it passes the limit', async () => {
    const before = reached;
    const answer = await send(['{"pad":"', 'x'.repeat(LIMIT), '"}']);
    expect(answer.status).toBe(413);
    expect(reached).toBe(before);
  });

  it('passes a chunked body within the limit to the route, whole', async () => {
    const answer = await send(['{"pad":', '"abc"}']);
    expect(answer).toEqual({ status: 200, body: '{"pad":"abc"}' });
  });

  it('lets a request without a body through', async () => {
    expect(await send([], undefined, 'GET')).toEqual({ status: 200, body: '{"got":true}' });
  });
});
