/**
 * @module resource-read-error
 * The JSON-RPC error a `resources/read` answers with, made at the MCP edge from UMCA's errors:
 * a run that does not exist is the specification's "Resource not found" (-32002, with the URI
 * in `data`, as protocol revisions 2025-06-18 and 2025-11-25 say), not an internal error.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { UmcaError } from '@umca/contracts';

/**
 * "Resource not found" in MCP 2025-06-18 and 2025-11-25 (server/resources, Error Handling). The
 * SDK has no constant for it. SEP-2164 moves it to -32602 (invalid params) in a later revision;
 * this follows the revisions UMCA speaks today.
 */
export const RESOURCE_NOT_FOUND = -32002;

/** The wire error for `error` met while reading `uri`; errors that are not UMCA's are returned as they are. */
export function resourceReadError(error: unknown, uri: URL): unknown {
  if (error instanceof UmcaError && error.code === 'not_found') {
    return new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${error.message}; list_runs or resources/list shows the runs there are`, {
      uri: uri.href,
    });
  }
  // The policy's refusal: the request is one this caller may not make (JSON-RPC has no "forbidden").
  if (error instanceof UmcaError && error.code === 'policy_denied') {
    return new McpError(ErrorCode.InvalidRequest, error.message, { uri: uri.href, ...(error.details ?? {}) });
  }
  return error;
}
