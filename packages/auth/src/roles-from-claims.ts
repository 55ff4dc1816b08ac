/**
 * @module roles-from-claims
 * Where a token keeps its roles. Keycloak puts realm roles in `realm_access.roles` and a client's
 * in `resource_access.<client>.roles`; other issuers use a claim of their own (`groups`, `roles`,
 * `https://example.com/roles`), named by a path.
 */
import type { JWTPayload } from 'jose';

/** Where UMCA looks when told nothing else: Keycloak's realm roles, then a plain `roles` claim. */
export const DEFAULT_ROLE_CLAIMS = ['realm_access.roles', 'roles'] as const;

function at(payload: JWTPayload, path: string): unknown {
  // A claim whose name has dots (a URL) is tried whole before as a path.
  if (path in payload) return payload[path];
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The roles at each of `paths` (an array of strings, or one string of names separated by spaces or commas), merged. */
export function rolesFromClaims(payload: JWTPayload, paths: readonly string[]): string[] {
  const roles = new Set<string>();
  for (const path of paths) {
    const value = at(payload, path);
    const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
    for (const name of names) if (typeof name === 'string' && name !== '') roles.add(name);
  }
  return [...roles];
}
