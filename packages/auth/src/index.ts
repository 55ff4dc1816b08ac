/**
 * @module @umca/auth
 * Who is asking. Bearer tokens verified with jose along one code path, from an OpenID Connect
 * issuer (discovery once, the key set cached and refreshed for an unknown key id) or from UMCA's
 * own signing keys under the data directory (issue, rotate, revoke), and the roles they carry.
 * Any new export added here becomes public API.
 */
export { AuthError, type AuthErrorCode } from './auth-error.js';
export { combineAuthenticators } from './combine-authenticators.js';
export { ACCEPTED_ALGORITHMS, createJwtAuthenticator, type JwtAuthenticatorOptions } from './create-jwt-authenticator.js';
export { createOidcAuthenticator, type OidcAuthenticator, type OidcAuthenticatorOptions } from './create-oidc-authenticator.js';
export {
  createLocalTokenStore,
  type IssuedToken,
  LOCAL_ISSUER,
  type LocalTokenStore,
  type LocalTokenStoreOptions,
} from './local-token-store.js';
export { DEFAULT_ROLE_CLAIMS, rolesFromClaims } from './roles-from-claims.js';
