/**
 * @module @umca/policy
 * What a run may do. Requests are accepted once where they come in (parsed, their outbound hosts
 * compiled into an `EgressPolicyV1`); the egress policy decides each outbound request by Spin's
 * `allowed_outbound_hosts` rules and the class of every resolved address; the gateway carries the
 * allowed ones out. Access: what a principal's roles allow (`umca.policy.v1`), checked before a
 * request runs. Any new export added here becomes public API.
 */
export { acceptExecutionRequest, parseOrThrow } from './accept-execution-request.js';
export { acceptSessionRequest, acceptSessionRunRequest } from './accept-session-request.js';
export { type AcceptedTask, acceptTaskRequest } from './accept-task-request.js';
export { type AccessGrant, grantFor, unrestrictedGrant } from './access/access-grant.js';
export {
  allowsUpstreamTool,
  authorizeExecution,
  authorizeModels,
  authorizeSession,
  authorizeTask,
  policyDenied,
  requireTool,
} from './access/authorize-request.js';
export { DEFAULT_ACCESS_POLICY } from './access/default-access-policy.js';
export { readAccessPolicy } from './access/read-access-policy.js';
export { createRunQuota, type RunQuota } from './access/run-quota.js';
export { type AddressClass, classifyAddress, parseAddress } from './egress/address-class.js';
export { type AllowedHostRule, parseAllowedHostRule, parseAllowedHosts } from './egress/allowed-host-rule.js';
export {
  createEgressGateway,
  type EgressGateway,
  type EgressGatewayOptions,
  type EgressOutcome,
  type EgressRequest,
  type EgressResponse,
  type ResolveHost,
  type TunnelOutcome,
} from './egress/egress-gateway.js';
export { createEgressPolicy, type EgressPolicy, type OutboundTarget, toOutboundTarget } from './egress/egress-policy.js';
export { ruleWithin } from './egress/rule-within.js';
export { PolicyError, type PolicyErrorCode } from './policy-error.js';
