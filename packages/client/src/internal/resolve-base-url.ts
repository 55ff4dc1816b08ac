/**
 * @module resolve-base-url
 * Where the client sends its requests, decided in this one place: the `baseUrl` option, else the
 * page's own origin in a browser, else `UMCA_SERVER` in Node, else the address `umca serve`
 * listens on by default.
 */
import { UmcaClientError } from '../umca-client-error.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

/** What the runtime offers: a browser's origin, Node's environment. Injected by tests. */
export interface Surroundings {
  readonly origin?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export function currentSurroundings(): Surroundings {
  // Read through globalThis so that the package needs neither DOM nor Node types to run.
  const scope = globalThis as { location?: { origin?: unknown }; process?: { env?: Record<string, string | undefined> } };
  const origin = scope.location?.origin;
  return { origin: typeof origin === 'string' && /^https?:/.test(origin) ? origin : undefined, env: scope.process?.env };
}

export function resolveBaseUrl(baseUrl: string | undefined, surroundings: Surroundings = currentSurroundings()): string {
  const chosen = baseUrl ?? surroundings.origin ?? (surroundings.env?.UMCA_SERVER || undefined) ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const from = baseUrl === undefined ? ' (from UMCA_SERVER)' : '';
    throw new UmcaClientError(
      'invalid_base_url',
      `baseUrl must be an http(s) URL such as ${DEFAULT_BASE_URL}, not ${JSON.stringify(chosen)}${from}`,
    );
  }
  // A path is kept (a server behind a proxy at /umca), without its trailing slash.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
