/**
 * @module authenticate-requests
 * Every request to the API, its event streams and /mcp carries a bearer token, or is refused
 * with a 401 that says what failed and how to sign in (RFC 6750 `WWW-Authenticate`, with the
 * protected resource metadata of RFC 9728 that MCP clients follow), and an `auth.denied` event.
 * The web page, health, readiness, the OpenAPI document, the schemas and the metadata itself
 * need none. On a server without authentication everybody is the anonymous principal.
 */
import { AuthError } from '@umca/auth';
import type { EventBusV1 } from '@umca/contracts';
import type { MiddlewareHandler } from 'hono';
import { problemResponse } from '../app/problem.js';
import type { EdgeEnv } from '../app/request-id.js';
import type { AccessControl } from './access-control.js';
import { protectedResourceMetadataUrl } from './protected-resource-metadata.js';

/** Paths a token is needed for: the API, its streams, MCP and the metrics. */
export function needsToken(path: string): boolean {
  return path.startsWith('/v1/') || path === '/mcp' || path.startsWith('/mcp/') || path === '/metrics';
}

/** Text fit for a quoted `WWW-Authenticate` parameter: printable ASCII without quotes or backslashes. */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, ' ').slice(0, 300);
}

export function authenticateRequests(options: {
  access: AccessControl;
  bus: EventBusV1;
  /** The URL this server is reached at, for the metadata link (`--public-url`, else the request's own). */
  publicUrl?: string;
}): MiddlewareHandler<EdgeEnv> {
  const { access, bus } = options;
  return async (context, next) => {
    const path = context.req.path;
    if (access.mode === 'none' || !needsToken(path)) {
      const principal = await access.authenticate(undefined).catch(() => undefined);
      if (principal) {
        context.set('principal', principal);
        context.set('grant', access.grantFor(principal));
      }
      return next();
    }
    const header = context.req.header('authorization');
    const bearer = header?.match(/^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i)?.[1];
    try {
      if (header !== undefined && bearer === undefined) {
        throw new AuthError('token_malformed', 'the Authorization header is not "Bearer <token>"');
      }
      const principal = await access.authenticate(bearer);
      context.set('principal', principal);
      context.set('grant', access.grantFor(principal));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const requestId = context.get('requestId');
      if (error.code === 'issuer_unreachable') {
        context.get('log').error({ err: error }, 'the identity provider cannot be reached');
        return problemResponse(
          context,
          { status: 503, title: 'Identity provider unreachable', code: error.code, detail: error.message },
          { 'retry-after': '5' },
        );
      }
      const metadata = protectedResourceMetadataUrl(context, options.publicUrl);
      const challenge =
        error.code === 'token_missing'
          ? `Bearer realm="umca", resource_metadata="${metadata}"`
          : `Bearer realm="umca", error="invalid_token", error_description="${quotable(error.message)}", resource_metadata="${metadata}"`;
      void bus
        .publish('dev.umca.auth.denied.v1', requestId, {
          requestId,
          method: context.req.method,
          path,
          code: error.code,
          ...(error.claim ? { claim: error.claim } : {}),
          message: error.message,
        })
        .catch((publishError: unknown) => context.get('log').error({ err: publishError }, 'publishing auth.denied failed'));
      return problemResponse(
        context,
        {
          status: 401,
          title: 'Unauthorized',
          code: error.code,
          ...(error.claim ? { claim: error.claim } : {}),
          detail: error.message,
        },
        { 'www-authenticate': challenge },
      );
    }
    return next();
  };
}
