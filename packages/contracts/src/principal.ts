/**
 * @module principal
 * Who made a request: the subject of a verified token (an OIDC issuer's or UMCA's own), its name
 * and roles. Every run records its principal; policy decides by its roles.
 */
import { z } from 'zod';

export const principalSchema = z.object({
  sub: z.string().min(1).max(512).describe("The token's subject: who, stably (an IdP user or client id)."),
  name: z.string().max(512).optional().describe('A name for people: preferred_username, name, or the client id.'),
  roles: z.array(z.string().max(256)).max(256).describe('The roles the token carries (policy decides by them).'),
  issuer: z.string().max(2_048).describe('Who vouched for it: the token issuer, or `urn:umca:anonymous` without authentication.'),
  via: z.enum(['oidc', 'local', 'anonymous']).describe("An OIDC issuer, UMCA's own tokens, or nobody (loopback without auth)."),
});

export type Principal = z.infer<typeof principalSchema>;

/** Who everybody is on a server that authenticates nobody (loopback, a single user). */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({
  sub: 'anonymous',
  name: 'anonymous',
  roles: [],
  issuer: 'urn:umca:anonymous',
  via: 'anonymous',
}) as Principal;
