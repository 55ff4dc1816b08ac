/**
 * @module access-from-config
 * The server's access control from its configuration: the OIDC issuer's tokens (`--oidc-issuer`),
 * UMCA's own (when the data directory holds a signing key: `umca token create` made one), or
 * nobody's on loopback; the policy file or the built-in default. Says at start which it is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { combineAuthenticators, createLocalTokenStore, createOidcAuthenticator, LOCAL_ISSUER } from '@umca/auth';
import { type AuthenticatorV1, accessPolicySchema, type Logger } from '@umca/contracts';
import { DEFAULT_ACCESS_POLICY, readAccessPolicy } from '@umca/policy';
import { hasLocalTokenKeys, type ServerConfig } from '../config/server-config.js';
import { type AccessControl, createAccessControl } from './access-control.js';

/** Where UMCA's own token keys live under a data directory. */
export function localTokenDir(dataDir: string): string {
  return join(dataDir, 'auth');
}

export function accessFromConfig(config: ServerConfig, logger: Logger): AccessControl {
  const byIssuer = new Map<string, AuthenticatorV1>();
  const described: string[] = [];
  if (config.oidcIssuer) {
    // RFC 8707: a token audience-bound to this server's resource URI counts, as one for --oidc-audience does.
    const resources = config.publicUrl ? [config.publicUrl.replace(/\/$/, ''), `${config.publicUrl.replace(/\/$/, '')}/mcp`] : [];
    const oidc = createOidcAuthenticator({
      issuer: config.oidcIssuer,
      audience: [config.oidcAudience, ...resources],
      ...(config.oidcRolesClaims.length ? { roleClaims: config.oidcRolesClaims } : {}),
      ...(config.oidcClientId ? { rolesClientId: config.oidcClientId } : {}),
    });
    byIssuer.set(config.oidcIssuer, oidc);
    described.push(`tokens from ${config.oidcIssuer} for audience ${JSON.stringify(config.oidcAudience)}`);
    // Read now so a typo shows at start; the server still starts, and tries again on the first token.
    oidc.discover().catch((error: Error) => logger.warn({ err: error }, `auth: ${error.message}; tokens will be refused until it answers`));
  }
  if (hasLocalTokenKeys(config.dataDir)) {
    byIssuer.set(LOCAL_ISSUER, createLocalTokenStore({ dir: localTokenDir(config.dataDir), audience: 'umca' }).authenticator());
    described.push(`UMCA's own tokens (keys in ${localTokenDir(config.dataDir)})`);
  }
  if (byIssuer.size === 0) {
    logger.info(
      `auth: none: a loopback server for one user; whoever can reach ${config.host}:${config.port} acts as you (docs/auth.md sets up sign-in)`,
    );
    return createAccessControl({});
  }
  const policy = config.policy
    ? readAccessPolicy(readFileSync(config.policy, 'utf8'), config.policy)
    : accessPolicySchema.parse(DEFAULT_ACCESS_POLICY);
  logger.info(
    `auth: bearer tokens: ${described.join('; ')}; policy ${config.policy ?? 'built in'} (roles ${Object.keys(policy.roles).join(', ')})`,
  );
  return createAccessControl({
    authenticator: combineAuthenticators(byIssuer),
    authorizationServers: config.oidcIssuer ? [config.oidcIssuer] : [],
    audience: config.oidcAudience,
    ...(config.oidcClientId ? { uiClientId: config.oidcClientId } : {}),
    policy,
  });
}
