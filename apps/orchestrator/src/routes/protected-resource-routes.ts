/**
 * @module protected-resource-routes
 * `/.well-known/oauth-protected-resource` (RFC 9728) for the server and for its MCP endpoint,
 * naming the authorization servers whose tokens it takes. On a server without authentication
 * there is nothing to describe: 404.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from '../app/app-deps.js';
import { EdgeError } from '../app/edge-error.js';
import type { EdgeEnv } from '../app/request-id.js';
import { baseUrl, protectedResourceMetadata } from '../auth/protected-resource-metadata.js';

export function registerProtectedResourceRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  for (const suffix of ['', '/mcp']) {
    app.get(`/.well-known/oauth-protected-resource${suffix}`, (context) => {
      if (deps.access.mode === 'none') {
        throw new EdgeError(
          'not_found',
          'this server authenticates nobody (a loopback server for one user): there is no protected resource to describe',
        );
      }
      return context.json(protectedResourceMetadata(deps.access, `${baseUrl(context, deps.publicUrl)}${suffix}`));
    });
  }
}
