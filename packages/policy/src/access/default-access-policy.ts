/**
 * @module default-access-policy
 * The policy a server with identities uses when it is given none: three roles, deny by default.
 * A viewer reads everyone's runs; a developer runs code and tasks in any language and model, sees
 * its own runs and reaches no network; an operator may do everything. Write a policy file to
 * narrow or widen them (`umca policy check` explains one).
 */
import type { AccessPolicyInput } from '@umca/contracts';

export const DEFAULT_ACCESS_POLICY: AccessPolicyInput = {
  version: 'umca.policy.v1',
  roles: {
    viewer: {
      description: "Reads everyone's runs and follows their events; runs nothing.",
      tools: ['get_run', 'list_runs'],
      allRuns: true,
    },
    developer: {
      description: 'Runs code and agent tasks and manages its own runs; no network unless a policy file grants hosts.',
      tools: ['run_code', 'run_task', 'get_run', 'list_runs', 'cancel_run'],
      models: ['*'],
    },
    operator: {
      description: "Everything: every tool, everyone's runs, any host, the server's limits.",
      tools: ['*'],
      allRuns: true,
      models: ['*'],
      upstreamTools: ['*'],
      allowedOutboundHosts: ['*://*:*'],
    },
  },
};
