/**
 * @module auth-config-routes
 * `GET /auth/config`: what the web page needs to sign its user in, before it has a token: whether
 * this server needs one, and for an OpenID Connect issuer, which issuer and which public client
 * (authorization code with PKCE). Public, like the page itself.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from '../app/app-deps.js';
import type { EdgeEnv } from '../app/request-id.js';

export interface AuthConfig {
  /** `none`: no token needed. `tokens`: every API request needs a bearer token. */
  mode: 'none' | 'tokens';
  /** The OpenID Connect issuer to sign in at, when the server trusts one and names a client for the page. */
  issuer?: string;
  clientId?: string;
  scopes: string[];
}

export function authConfig(deps: Pick<AppDeps, 'access'>): AuthConfig {
  const issuer = deps.access.authorizationServers[0];
  const clientId = deps.access.uiClientId;
  return {
    mode: deps.access.mode,
    ...(issuer && clientId ? { issuer, clientId } : {}),
    scopes: ['openid', 'profile'],
  };
}

export function registerAuthConfigRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  app.get('/auth/config', (context) => context.json(authConfig(deps), 200, { 'cache-control': 'no-cache' }));
}
