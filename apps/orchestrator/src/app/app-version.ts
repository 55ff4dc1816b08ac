/**
 * @module app-version
 * The version of the UMCA API and MCP server.
 */
export const API_VERSION = '0.1.0';
