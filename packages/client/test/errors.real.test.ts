/**
 * Typed errors: a problem the server answers with is an UmcaApiError in the server's words; no
 * answer at all says which URL and what to do; an answer from something that is not UMCA says so.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, UmcaApiError, UmcaClientError } from '../src/index.js';
import { useServer } from './support/use-server.js';

const server = useServer();
const client = () => createClient({ baseUrl: server().url });
const others: Server[] = [];
afterAll(() => Promise.all(others.map((other) => new Promise((resolve) => other.close(resolve)))));

/** A real HTTP server that is not UMCA, answering every request with `body`. */
async function notUmca(status: number, type: string, body: string): Promise<string> {
  const other = createServer((_request, response) => response.writeHead(status, { 'content-type': type }).end(body));
  others.push(other);
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

describe('errors', () => {
  it('a run that does not exist is a 404 UmcaApiError with the server’s detail', async () => {
    const error = await failure(client().getRun('run_nope'));
    expect(error).toBeInstanceOf(UmcaApiError);
    expect(error).toMatchObject({ code: 'api_error', status: 404, message: 'there is no run run_nope' });
  });

  it('cancelling a run that has ended is a 409', async () => {
    const result = await client().runCode('print(1)');
    const error = await failure(client().cancelRun(result.runId));
    expect(error).toMatchObject({ name: 'UmcaApiError', status: 409 });
  });

  it('a server that is not running is `server_unreachable`, naming the URL and the fix', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const error = await failure(createClient({ baseUrl }).readiness());
    expect(error).toBeInstanceOf(UmcaClientError);
    expect(error).not.toBeInstanceOf(UmcaApiError);
    const { code, message } = error as UmcaClientError;
    expect(code).toBe('server_unreachable');
    expect(message).toContain(`${baseUrl}/readyz`);
    expect(message).toContain('umca serve');
    expect(message).toContain('baseUrl');
    // The first connection of a stream is not retried: a wrong address fails at once.
    const streamError = await failure(createClient({ baseUrl }).events().next());
    expect(streamError).toMatchObject({ code: 'server_unreachable' });
  });

  it('a server that is not UMCA is `unexpected_response`, or an UmcaApiError built from its status', async () => {
    const page = await notUmca(200, 'text/html', '<!doctype html><p>hello</p>');
    expect(await failure(createClient({ baseUrl: page }).readiness())).toMatchObject({
      code: 'unexpected_response',
      message: expect.stringContaining('not JSON'),
    });
    expect(await failure(createClient({ baseUrl: page }).events().next())).toMatchObject({
      code: 'unexpected_response',
      message: expect.stringContaining('not an event stream'),
    });
    const gateway = await notUmca(502, 'text/plain', 'upstream is down');
    const error = await failure(createClient({ baseUrl: gateway }).getRun('run_x'));
    expect(error).toBeInstanceOf(UmcaApiError);
    expect(error).toMatchObject({ status: 502, message: expect.stringContaining('upstream is down') });
  });

  it('a baseUrl that is not http(s) is refused when the client is made', () => {
    expect(() => createClient({ baseUrl: 'localhost:8787' })).toThrow(
      expect.objectContaining({ code: 'invalid_base_url', message: expect.stringContaining('http://127.0.0.1:8787') }),
    );
  });

  it('an aborted call or stream rejects with the signal’s reason, the client’s own signal too', async () => {
    const reason = new Error('gave up');
    await expect(client().readiness({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const owner = new AbortController();
    const owned = createClient({ baseUrl: server().url, signal: owner.signal });
    const stream = owned.events().next();
    owner.abort(reason);
    await expect(owned.listRuns()).rejects.toBe(reason);
    await expect(stream).rejects.toBe(reason);
  });
});
