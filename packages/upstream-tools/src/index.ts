/**
 * @module @umca/upstream-tools
 * UMCA as an MCP client: the tools of upstream MCP servers (Dify apps, RAGFlow, any server an
 * operator registers), over Streamable HTTP or stdio with the official SDK, kept current and
 * called by name under a time limit. Any new export added here becomes public API.
 */
export { type OpenUpstreamToolsOptions, openUpstreamTools } from './open-upstream-tools.js';
export { parseMcpServerFlag, readMcpServers } from './read-mcp-servers.js';
export type { BackoffOptions, UpstreamConnection, UpstreamConnectionOptions } from './upstream-connection.js';
export { UpstreamError, type UpstreamErrorCode } from './upstream-error.js';
