/**
 * @module access-grant
 * What one principal may do: the roles of its token that the policy knows, merged so that it
 * gets the most each of them allows. Without authentication (loopback, a single user) the grant
 * is unrestricted, as before identities existed.
 */
import type { AccessPolicy, AuthenticatedPrincipal, Lane, Language, Principal, Tool } from '@umca/contracts';
import { MAX_LIMITS, TOOLS } from '@umca/contracts';
import { type AllowedHostRule, parseAllowedHostRule } from '../egress/allowed-host-rule.js';

export interface AccessGrant {
  /** Who, and until when their token vouches for them. */
  readonly principal: AuthenticatedPrincipal;
  /** The principal's roles that the policy names (the others grant nothing). */
  readonly roles: readonly string[];
  /** Nobody authenticated this request: everything is allowed. */
  readonly unrestricted: boolean;
  readonly tools: ReadonlySet<Tool>;
  /** Sees (and, with cancel_run, cancels) everyone's runs. */
  readonly allRuns: boolean;
  readonly languages: ReadonlySet<Language> | 'any';
  /** provider:model patterns, `*` a wildcard, as written. */
  readonly models: readonly string[];
  /** Upstream MCP tools by UMCA's names, `*` a wildcard, as written. */
  readonly upstreamTools: readonly string[];
  readonly lanes: ReadonlySet<Lane>;
  /** The most a request's allowedOutboundHosts may reach. */
  readonly egressCeiling: readonly AllowedHostRule[];
  readonly limits: { readonly timeoutMs: number; readonly memoryMb: number; readonly outputBytes: number };
  readonly concurrentRuns?: number;
  readonly runsPerMinute?: number;
}

/** Everything, for a server that authenticates nobody. */
export function unrestrictedGrant(principal: Principal): AccessGrant {
  return {
    principal,
    roles: [],
    unrestricted: true,
    tools: new Set(TOOLS),
    allRuns: true,
    languages: 'any',
    models: ['*'],
    upstreamTools: ['*'],
    lanes: new Set<Lane>(['wasm', 'container']),
    egressCeiling: [parseAllowedHostRule('*://*:*')],
    limits: { ...MAX_LIMITS },
  };
}

/** The most the principal's roles allow together. */
export function grantFor(policy: AccessPolicy, principal: AuthenticatedPrincipal): AccessGrant {
  const roles = principal.roles.filter((role) => Object.hasOwn(policy.roles, role));
  const granted = roles.map((role) => policy.roles[role] as AccessPolicy['roles'][string]);
  const tools = new Set<Tool>(granted.flatMap((role) => (role.tools.includes('*') ? [...TOOLS] : (role.tools as Tool[]))));
  const languages = granted.some((role) => role.languages.includes('*'))
    ? 'any'
    : new Set(granted.flatMap((role) => role.languages as Language[]));
  const most = (limit: keyof typeof MAX_LIMITS) =>
    granted.length === 0 ? 0 : Math.max(...granted.map((role) => role.limits[limit] ?? MAX_LIMITS[limit]));
  // Absent means no cap, so one role without a cap lifts it.
  const cap = (field: 'concurrentRuns' | 'runsPerMinute') =>
    granted.length > 0 && granted.every((role) => role[field] !== undefined)
      ? Math.max(...granted.map((role) => role[field] as number))
      : undefined;
  const concurrentRuns = cap('concurrentRuns');
  const runsPerMinute = cap('runsPerMinute');
  return {
    principal,
    roles,
    unrestricted: false,
    tools,
    allRuns: granted.some((role) => role.allRuns),
    languages,
    models: [...new Set(granted.flatMap((role) => role.models))],
    upstreamTools: [...new Set(granted.flatMap((role) => role.upstreamTools))],
    lanes: new Set(granted.flatMap((role) => role.lanes)),
    egressCeiling: granted.flatMap((role) => role.allowedOutboundHosts.map((entry) => parseAllowedHostRule(entry))),
    limits: { timeoutMs: most('timeoutMs'), memoryMb: most('memoryMb'), outputBytes: most('outputBytes') },
    ...(concurrentRuns === undefined ? {} : { concurrentRuns }),
    ...(runsPerMinute === undefined ? {} : { runsPerMinute }),
  };
}
