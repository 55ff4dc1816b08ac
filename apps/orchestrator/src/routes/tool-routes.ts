/**
 * @module tool-routes
 * The upstream MCP servers UMCA is a client of, and their tools: each server's status (up,
 * connecting, down and why) and every tool under UMCA's name with its JSON Schemas, for the web
 * UI and for operators checking what agents and programs can call.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { allowsUpstreamTool } from '@umca/policy';
import type { AppDeps } from '../app/app-deps.js';
import type { EdgeEnv } from '../app/request-id.js';
import { grantWith } from '../auth/request-access.js';
import { jsonAnswer } from '../openapi/answers.js';

const listTools = createRoute({
  method: 'get',
  path: '/v1/tools',
  operationId: 'listUpstreamTools',
  tags: ['tools'],
  summary: 'The upstream MCP servers and their tools',
  description:
    "Each MCP server UMCA is a client of (`--mcp-config`, `--mcp-server`) with its status, and every tool of those that are up that the caller's roles allow (the policy's `upstreamTools`), under the name agents and programs call it by (the server's prefix, then the tool's own name).",
  responses: { 200: jsonAnswer('The servers and their tools.', 'UpstreamToolList') },
});

export function registerToolRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  app.openAPIRegistry.registerPath(listTools);
  app.get('/v1/tools', (context) => {
    const grant = grantWith(context, 'list_runs');
    // Each caller sees the tools its roles allow (upstreamTools in the policy); the servers' health is everyone's.
    const tools = (deps.upstream?.tools() ?? []).filter((tool) => allowsUpstreamTool(grant, tool.name));
    return context.json({ servers: deps.upstream?.servers() ?? [], tools }, 200);
  });
}
