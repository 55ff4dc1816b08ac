/**
 * @module upstream-error
 * What goes wrong with upstream MCP servers, each with a stable code and a message that says
 * what to do: a configuration that cannot work (naming the field or the variable), a tool that
 * does not exist, a server that is down, a call that took too long or failed.
 */
import { UmcaError } from '@umca/contracts';

export type UpstreamErrorCode = 'invalid_config' | 'unknown_tool' | 'server_down' | 'timeout' | 'call_failed' | 'cancelled';

export class UpstreamError extends UmcaError<UpstreamErrorCode> {
  override readonly name = 'UMCA_UpstreamError';
}
