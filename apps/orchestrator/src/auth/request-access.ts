/**
 * @module request-access
 * What a route needs to know about who asked: the grant (what they may do), the principal, and
 * whether a run is theirs to see. A run another principal started is "not found" to someone who
 * may not see everyone's runs: its existence is not theirs to learn either.
 */
import type { Principal, RunRecord, Tool } from '@umca/contracts';
import { type AccessGrant, requireTool } from '@umca/policy';
import type { Context } from 'hono';
import { EdgeError } from '../app/edge-error.js';
import type { EdgeEnv } from '../app/request-id.js';

/** The request's grant, after checking it includes `tool`. */
export function grantWith(context: Context<EdgeEnv>, tool: Tool): AccessGrant {
  const grant = context.get('grant');
  if (!grant) throw new Error(`no grant on ${context.req.path}: the route is not behind authenticate-requests`);
  requireTool(grant, tool);
  return grant;
}

/** Whether `grant` may see `run`. */
export function maySee(grant: AccessGrant, run: Pick<RunRecord, 'principal'>): boolean {
  return grant.allRuns || run.principal?.sub === grant.principal.sub;
}

/** The run, if the grant may see it; otherwise the same 404 as for a run that does not exist. */
export function visibleRun<Run extends Pick<RunRecord, 'principal' | 'id'>>(grant: AccessGrant, run: Run): Run {
  if (!maySee(grant, run)) throw new EdgeError('not_found', `there is no run ${run.id}`);
  return run;
}

/** Whose runs a listing shows: everyone's, or the principal's own. */
export function ownerFilter(grant: AccessGrant): { owner?: string } {
  return grant.allRuns ? {} : { owner: grant.principal.sub };
}

/** A stream lasts as long as the token that opened it: the client reconnects with a new one and resumes exactly. */
export function untilExpiry(grant: AccessGrant): { until?: Date } {
  return grant.principal.expiresAt ? { until: grant.principal.expiresAt } : {};
}

/** The principal a run records (who, not until when): none on a server without authentication. */
export function recordedPrincipal(grant: AccessGrant): Principal | undefined {
  const { sub, name, roles, issuer, via } = grant.principal;
  return via === 'anonymous' ? undefined : { sub, ...(name ? { name } : {}), roles, issuer, via };
}
