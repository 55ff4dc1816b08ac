/**
 * @module create-http
 * Every request the client makes goes through here: the base URL and default headers are added,
 * signals combined, and each failure becomes a typed error: no answer is `server_unreachable`
 * with what to do, a problem answer is an {@link UmcaApiError} in the server's own words.
 */
import type { Fetch, Problem } from '../api-types.js';

import { UmcaApiError } from '../umca-api-error.js';
import { UmcaClientError } from '../umca-client-error.js';
import { anySignal } from './abort.js';
import { DEFAULT_BASE_URL } from './resolve-base-url.js';

/** A bearer token, or a function that gives the current one (called for each request, so a refreshed token is used at once). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface HttpOptions {
  readonly baseUrl: string;
  readonly fetch: Fetch;
  readonly headers: Readonly<Record<string, string>>;
  readonly token?: TokenSource | undefined;
  /** Aborts everything the client does. */
  readonly signal?: AbortSignal | undefined;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
}

export interface Http {
  readonly baseUrl: string;
  /** The client's own signal, which aborts everything it does. */
  readonly signal: AbortSignal | undefined;
  /** Sends a request and reads its JSON answer; any status but 2xx throws. */
  json<T>(method: 'GET' | 'POST' | 'DELETE', path: string, options?: RequestOptions): Promise<T>;
  /** Opens an event stream: the response to read (200), or one without a body (204). */
  stream(path: string, options: { lastEventId?: number | undefined; signal?: AbortSignal | undefined }): Promise<Response>;
}

export function createHttp(options: HttpOptions): Http {
  async function send(method: string, path: string, request: RequestOptions): Promise<Response> {
    const url = `${options.baseUrl}${path}`;
    const signal = anySignal(options.signal, request.signal);
    const headers: Record<string, string> = { ...options.headers, ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await options.fetch(url, {
        method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw unreachable(url, error);
    }
    if (!response.ok) throw await problemFrom(response, method, url);
    return response;
  }

  return {
    baseUrl: options.baseUrl,
    signal: options.signal,

    async json<T>(method: 'GET' | 'POST' | 'DELETE', path: string, request: RequestOptions = {}): Promise<T> {
      const response = await send(method, path, { ...request, headers: { accept: 'application/json', ...request.headers } });
      const text = await response.text();
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new UmcaClientError(
          'unexpected_response',
          `${method} ${response.url || `${options.baseUrl}${path}`} answered ${response.status} with ${describeBody(response, text)}, not JSON; is ${options.baseUrl} a UMCA server?`,
          { cause: error },
        );
      }
    },

    async stream(path, request) {
      const response = await send('GET', path, {
        headers: {
          accept: 'text/event-stream',
          ...(request.lastEventId === undefined ? {} : { 'last-event-id': String(request.lastEventId) }),
        },
        signal: request.signal,
      });
      if (response.status === 204) return response;
      if (!response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
        void response.body?.cancel().catch(() => {});
        throw new UmcaClientError(
          'unexpected_response',
          `GET ${options.baseUrl}${path} answered ${response.status} with ${response.headers.get('content-type') ?? 'no content type'}, not an event stream; is ${options.baseUrl} a UMCA server?`,
        );
      }
      return response;
    },
  };
}

function unreachable(url: string, error: unknown): UmcaClientError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const reason = typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
  return new UmcaClientError(
    'server_unreachable',
    `could not reach UMCA at ${url} (${reason}). Start a server with \`umca serve\`, or pass baseUrl to createClient (default: the page's origin in a browser, else UMCA_SERVER, else ${DEFAULT_BASE_URL}).`,
    { cause: error },
  );
}

/** The error for a non-2xx answer: the server's problem+json, or one made from the status. */
async function problemFrom(response: Response, method: string, url: string): Promise<UmcaApiError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isProblem(body)) return new UmcaApiError(body);
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return new UmcaApiError({
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: `${method} ${url} answered ${status} with ${describeBody(response, text)}`,
  });
}

function isProblem(body: unknown): body is Problem {
  const candidate = body as Partial<Problem> | undefined;
  return (
    typeof candidate === 'object' && candidate !== null && typeof candidate.detail === 'string' && typeof candidate.status === 'number'
  );
}

function describeBody(response: Response, text: string): string {
  const type = response.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  if (!text) return `an empty ${type} body`;
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return type === 'text/plain' ? `${JSON.stringify(shown)}` : `a ${type} body`;
}
