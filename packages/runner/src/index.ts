/**
 * @module @umca/runner
 * Runs untrusted Python, JavaScript and wasm32-wasi code: one fresh, OS-confined sandbox process
 * per run, forked from a warm zygote. Any new export added here becomes public API.
 */
export { createRunner, type ExecuteOptions, type Runner, type RunnerOptions, type RunnerStats } from './create-runner.js';
export { type AddressClass, classifyAddress } from './egress/address-class.js';
export { type AllowedHostRule, parseAllowedHostRule, parseAllowedHosts } from './egress/allowed-host-rule.js';
export {
  createEgressGateway,
  type EgressGateway,
  type EgressGatewayOptions,
  type EgressOutcome,
  type EgressRequest,
  type EgressResponse,
  type ResolveHost,
} from './egress/egress-gateway.js';
export { createEgressPolicy, type EgressPolicy } from './egress/egress-policy.js';
export { RunnerError, type RunnerErrorCode } from './errors.js';
export { type Logger, stderrLogger } from './host/logger.js';
export { defaultCacheDir } from './host/pyodide-snapshot.js';
export { unstartedResult } from './unstarted-result.js';
