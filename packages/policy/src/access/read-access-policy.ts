/**
 * @module read-access-policy
 * A policy file (YAML or JSON: JSON is YAML) read and checked against `umca.policy.v1`, each
 * problem named by where it is in the file. An `allowedOutboundHosts` ceiling is parsed as
 * Spin syntax here too, so a bad entry stops the server at start, not a request later.
 */
import { createRequire } from 'node:module';
import { type AccessPolicy, accessPolicySchema } from '@umca/contracts';
import type { parse as parseYaml } from 'yaml';
import { parseAllowedHostRule } from '../egress/allowed-host-rule.js';
import { PolicyError } from '../policy-error.js';

/**
 * The YAML parser, loaded when a policy is first read: everything that imports this package (the
 * runner among them) would otherwise pay ~25 ms at start for a parser only the server's policy
 * file needs.
 */
let yaml: { parse: typeof parseYaml } | undefined;
const loadYaml = () => {
  yaml ??= createRequire(import.meta.url)('yaml') as { parse: typeof parseYaml };
  return yaml;
};

/** Parses and checks a policy's text; throws PolicyError('invalid_policy') listing every problem with its place. */
export function readAccessPolicy(text: string, source = 'the policy'): AccessPolicy {
  let document: unknown;
  try {
    document = loadYaml().parse(text, { prettyErrors: true, uniqueKeys: true });
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
