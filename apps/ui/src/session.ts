/**
 * @module session
 * Who the page acts for. A server without authentication needs nothing. One with an OpenID
 * Connect issuer is signed in at with the authorization code flow and PKCE (oauth4webapi): the
 * page sends the browser to the issuer, takes the code back, and keeps the tokens in this tab's
 * session storage, refreshing the access token before it expires. One that trusts only UMCA's own
 * tokens takes a token pasted in (`umca token create`).
 */
import * as oauth from 'oauth4webapi';

interface AuthConfig {
  mode: 'none' | 'tokens';
  issuer?: string;
  clientId?: string;
  scopes: string[];
}

interface Stored {
  accessToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  refreshToken?: string;
  name?: string;
}

export type Session =
  | { state: 'open' }
  | { state: 'signed-in'; name: string; token(): Promise<string | undefined>; signOut(): void }
  | { state: 'signed-out'; issuer?: string; signIn(): Promise<void>; useToken(token: string): void; problem?: string };

const KEY = 'umca.session';
const PENDING = 'umca.sign-in';
/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;

function load(): Stored | undefined {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null') ?? undefined;
  } catch {
    return undefined;
  }
}

function save(stored: Stored | undefined): void {
  if (stored) sessionStorage.setItem(KEY, JSON.stringify(stored));
  else sessionStorage.removeItem(KEY);
}

/** `sub`-ish name from a JWT's payload, for the header; the server decides who it really is. */
function nameIn(token: string): string {
  try {
    const payload = JSON.parse(atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')));
    return String(payload.preferred_username ?? payload.name ?? payload.sub ?? 'signed in');
  } catch {
    return 'signed in';
  }
}

/** A JWT's `exp` in milliseconds; far away when it has none that can be read. */
function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1_000 : Number.MAX_SAFE_INTEGER;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

function fromTokenResponse(response: oauth.TokenEndpointResponse, previous?: Stored): Stored {
  const refreshToken = response.refresh_token ?? previous?.refreshToken;
  return {
    accessToken: response.access_token,
    expiresAt: Date.now() + (response.expires_in ?? 300) * 1_000,
    ...(refreshToken ? { refreshToken } : {}),
    name: nameIn(response.access_token),
  };
}

/** Where the issuer sends the browser back: this page, without its fragment or query. */
const redirectUri = () => `${location.origin}/`;

/** Works out the session: finishes a sign-in the issuer just sent the browser back from, if any. */
export async function startSession(): Promise<Session> {
  const config = (await (await fetch('/auth/config', { headers: { accept: 'application/json' } })).json()) as AuthConfig;
  if (config.mode === 'none') return { state: 'open' };

  const issuer = config.issuer ? new URL(config.issuer) : undefined;
  const client: oauth.Client = { client_id: config.clientId ?? '' };
  // A development issuer on plain http (Keycloak on 127.0.0.1); production issuers are https.
  const insecure = issuer?.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
  let server: oauth.AuthorizationServer | undefined;
  const authorizationServer = async () => {
    if (!issuer) throw new Error('no issuer to sign in at');
    server ??= await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    return server;
  };

  async function refresh(stored: Stored): Promise<Stored | undefined> {
    if (!stored.refreshToken || !issuer) return undefined;
    try {
      const as = await authorizationServer();
      const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), stored.refreshToken, insecure);
      const refreshed = fromTokenResponse(await oauth.processRefreshTokenResponse(as, client, response), stored);
      save(refreshed);
      return refreshed;
    } catch {
      save(undefined);
      return undefined;
    }
  }

  let problem: string | undefined;
  const returned = new URL(location.href);
  const pending = sessionStorage.getItem(PENDING);
  if (issuer && pending && (returned.searchParams.has('code') || returned.searchParams.has('error'))) {
    sessionStorage.removeItem(PENDING);
    // The code and state leave the address bar whatever happens next.
    history.replaceState(null, '', `${returned.pathname}${returned.hash}`);
    try {
      const { verifier, state } = JSON.parse(pending) as { verifier: string; state: string };
      const as = await authorizationServer();
      const parameters = oauth.validateAuthResponse(as, client, returned, state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), parameters, redirectUri(), verifier, insecure);
      save(fromTokenResponse(await oauth.processAuthorizationCodeResponse(as, client, response)));
    } catch (error) {
      problem = `signing in did not finish: ${(error as Error).message}`;
    }
  }

  let stored = load();
  if (stored && stored.expiresAt - EARLY_MS <= Date.now()) stored = await refresh(stored);
  if (stored) {
    let current = stored;
    return {
      state: 'signed-in',
      name: current.name ?? 'signed in',
      async token() {
        if (current.expiresAt - EARLY_MS <= Date.now()) {
          const refreshed = await refresh(current);
          if (!refreshed) return undefined;
          current = refreshed;
        }
        return current.accessToken;
      },
      signOut() {
        save(undefined);
        location.reload();
      },
    };
  }

  return {
    state: 'signed-out',
    ...(issuer ? { issuer: issuer.href } : {}),
    ...(problem ? { problem } : {}),
    async signIn() {
      const as = await authorizationServer();
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
      const url = new URL(as.authorization_endpoint as string);
      url.searchParams.set('client_id', client.client_id);
      url.searchParams.set('redirect_uri', redirectUri());
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('scope', config.scopes.join(' '));
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
      url.searchParams.set('code_challenge_method', 'S256');
      url.searchParams.set('state', state);
      location.assign(url.href);
    },
    useToken(token) {
      const accessToken = token.trim();
      save({ accessToken, expiresAt: expiryOf(accessToken), name: nameIn(accessToken) });
      location.reload();
    },
  };
}
