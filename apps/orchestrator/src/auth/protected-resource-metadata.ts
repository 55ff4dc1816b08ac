/**
 * @module protected-resource-metadata
 * OAuth 2.0 Protected Resource Metadata (RFC 9728), as the MCP authorization specification asks
 * of an HTTP server: what this resource is, which authorization servers issue tokens for it, and
 * how to send them. Served for the server (`/.well-known/oauth-protected-resource`) and for its
 * MCP endpoint (`/.well-known/oauth-protected-resource/mcp`, resource `<url>/mcp`).
 */
import type { Context } from 'hono';
import type { AccessControl } from './access-control.js';

/** The URL this server is reached at: `--public-url`, or the origin the request came to (its Host was checked). */
export function baseUrl(context: Context, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/$/, '');
  const url = new URL(context.req.url);
  return `${url.protocol}//${context.req.header('host') ?? url.host}`;
}

/** Where the metadata of the resource a request was for lives. */
export function protectedResourceMetadataUrl(context: Context, publicUrl?: string): string {
  const suffix = context.req.path === '/mcp' || context.req.path.startsWith('/mcp/') ? '/mcp' : '';
  return `${baseUrl(context, publicUrl)}/.well-known/oauth-protected-resource${suffix}`;
}

export function protectedResourceMetadata(access: AccessControl, resource: string): Record<string, unknown> {
  return {
    resource,
    // Optional in RFC 9728: a server that trusts only its own tokens has no authorization server to name.
    ...(access.authorizationServers.length ? { authorization_servers: access.authorizationServers } : {}),
    bearer_methods_supported: ['header'],
    scopes_supported: ['openid', 'profile'],
    resource_name: 'UMCA',
  };
}
