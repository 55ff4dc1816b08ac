/**
 * @module bridged-fetch
 * A `fetch` for the Pyodide child whose every hop goes through the host's egress gateway, so
 * `pyodide.http.pyfetch` and `js.fetch` obey the run's policy. Redirects are followed here, one
 * checked hop at a time.
 */
import type { HttpReplyMessage, HttpRequestMessage } from './protocol.js';

export type HostHttp = (request: HttpRequestMessage) => HttpReplyMessage;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function createBridgedFetch(hostHttp: HostHttp): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    let method = request.method;
    let url = request.url;
    let body = request.body ? Buffer.from(await request.arrayBuffer()).toString('base64') : '';
    const headers = [...request.headers] as Array<[string, string]>;
    for (let hop = 0; hop <= 20; hop++) {
      const reply = hostHttp({ method, url, headers, body });
      if ('error' in reply) throw new TypeError(`fetch failed: ${reply.error}`);
      const location = reply.headers.find(([name]) => name.toLowerCase() === 'location')?.[1];
      if (REDIRECTS.has(reply.status) && location && request.redirect !== 'manual') {
        if (request.redirect === 'error') throw new TypeError(`fetch failed: redirected to ${location}`);
        url = new URL(location, url).href;
        if (reply.status === 303 || ((reply.status === 301 || reply.status === 302) && method === 'POST')) {
          method = 'GET';
          body = '';
        }
        continue;
      }
      const status = reply.status >= 200 && reply.status <= 599 ? reply.status : 502;
      const response = new Response(NULL_BODY.has(status) ? null : Buffer.from(reply.body, 'base64'), {
        status,
        statusText: reply.statusText,
        headers: reply.headers.filter(([name]) => !/^(content-encoding|transfer-encoding)$/i.test(name)),
      });
      Object.defineProperty(response, 'url', { value: url });
      Object.defineProperty(response, 'redirected', { value: hop > 0 });
      return response;
    }
    throw new TypeError('fetch failed: more than 20 redirects');
  };
}
