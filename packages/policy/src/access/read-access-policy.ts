/**
 * @module read-access-policy
 * A policy file (YAML or JSON: JSON is YAML) read and checked against `umca.policy.v1`, each
 * problem named by where it is in the file. An `allowedOutboundHosts` ceiling is parsed as
 * Spin syntax here too, so a bad entry stops the server at start, not a request later.
 */
import { type AccessPolicy, accessPolicySchema } from '@umca/contracts';
import { parse } from 'yaml';
import { parseAllowedHostRule } from '../egress/allowed-host-rule.js';
import { PolicyError } from '../policy-error.js';

/** Parses and checks a policy's text; throws PolicyError('invalid_policy') listing every problem with its place. */
export function readAccessPolicy(text: string, source = 'the policy'): AccessPolicy {
  let document: unknown;
  try {
    document = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new PolicyError('invalid_policy', `${source} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
  const parsed = accessPolicySchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(the file)'}: ${issue.message}`);
    throw new PolicyError('invalid_policy', `${source} is not a valid umca.policy.v1: ${problems.join('; ')}`, {
      details: { issues: parsed.error.issues },
    });
  }
  for (const [role, grant] of Object.entries(parsed.data.roles)) {
    grant.allowedOutboundHosts.forEach((entry, index) => {
      try {
        parseAllowedHostRule(entry);
      } catch (error) {
        throw new PolicyError('invalid_policy', `${source}: roles.${role}.allowedOutboundHosts.${index}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    });
  }
  return parsed.data;
}
