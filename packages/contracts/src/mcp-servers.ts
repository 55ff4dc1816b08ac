/**
 * @module mcp-servers
 * `umca.mcp-servers.v1`: the MCP servers UMCA is a client of (Dify apps, RAGFlow, any server an
 * operator registers), over Streamable HTTP or stdio, with their auth, timeout and the prefix
 * their tools get. Secrets are not written in the file: `${NAME}` in a value is read from the
 * environment when the file is loaded.
 */
import { z } from 'zod';

export const upstreamNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, "_" or "-", starting with a letter, at most 40')
  .describe("The server's name in UMCA: in tool names, events, policies and readiness.");

const common = {
  name: upstreamNameSchema,
  toolPrefix: z
    .string()
    .regex(/^[a-z0-9_]{0,40}$/, 'lowercase letters, digits or "_", at most 40')
    .optional()
    .describe('Put before each of its tool names (default `<name>_`; "" for none).'),
  timeoutMs: z.int().min(100).max(600_000).default(30_000).describe('Longest a call to one of its tools may take.'),
};

export const upstreamAuthSchema = z.discriminatedUnion('type', [
  z
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the file format's reference to an environment variable
    .object({ type: z.literal('bearer'), token: z.string().min(1).describe('Sent as `Authorization: Bearer`; write `${ENV_VAR}`.') })
    .strict(),
  z
    .object({
      type: z.literal('client-credentials'),
      clientId: z.string().min(1),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the file format's reference to an environment variable
      clientSecret: z.string().min(1).describe('Write `${ENV_VAR}`.'),
      scope: z.string().optional(),
    })
    .strict()
    .describe("OAuth 2.0 client credentials, with the server's authorization server found from its protected resource metadata."),
]);

export const upstreamServerSchema = z.discriminatedUnion('transport', [
  z
    .object({
      ...common,
      transport: z.literal('http'),
      url: z.url({
        protocol: /^https?$/,
        error: "must be the server's http(s) MCP endpoint, e.g. https://dify.example.com/mcp/server/abc/mcp",
      }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the file format's reference to an environment variable
      headers: z.record(z.string(), z.string()).optional().describe('Sent with every request; values may hold `${ENV_VAR}`.'),
      auth: upstreamAuthSchema.optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      transport: z.literal('stdio'),
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      env: z.record(z.string(), z.string()).optional().describe('Its environment (nothing else of UMCA’s is passed on but PATH and HOME).'),
      cwd: z.string().optional(),
    })
    .strict(),
]);

export const mcpServersConfigSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal('umca.mcp-servers.v1'),
    servers: z
      .array(upstreamServerSchema)
      .max(64)
      .refine((servers) => new Set(servers.map((server) => server.name)).size === servers.length, {
        message: 'server names must be unique',
      }),
  })
  .strict();

/** One tool of an upstream server, as agents and programs see it. */
export const upstreamToolSchema = z.object({
  name: z.string().describe('The name UMCA gives it: the prefix, then its own name.'),
  server: upstreamNameSchema,
  tool: z.string().describe('Its name on its server.'),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of its arguments.'),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
});

export const upstreamServerStateSchema = z.object({
  name: upstreamNameSchema,
  transport: z.enum(['http', 'stdio']),
  status: z.enum(['connecting', 'up', 'down']),
  detail: z.string().optional().describe('Why it is down, in words (never a credential).'),
  tools: z.int().min(0).describe('How many tools it offers now.'),
  since: z.string().describe('When it entered this status.'),
});

export const upstreamToolListSchema = z.object({
  servers: z.array(upstreamServerStateSchema),
  tools: z.array(upstreamToolSchema),
});

export type UpstreamServer = z.infer<typeof upstreamServerSchema>;
export type UpstreamAuth = z.infer<typeof upstreamAuthSchema>;
export type McpServersConfig = z.infer<typeof mcpServersConfigSchema>;
export type UpstreamTool = z.infer<typeof upstreamToolSchema>;
export type UpstreamServerState = z.infer<typeof upstreamServerStateSchema>;
export type UpstreamToolList = z.infer<typeof upstreamToolListSchema>;
