/**
 * @module create-openapi-document
 * The OpenAPI 3.1 document of this server, as served at /openapi.json: the paths the routes
 * registered (with their parameters from the contracts' zod schemas), the contracts as named
 * components, and what every operation may answer whatever it is (a foreign origin, another host
 * name). It describes this server: a task's `model` is required when the server has no default.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { EdgeEnv } from '../app/request-id.js';
import { problemAnswer } from './answers.js';
import { componentSchemas } from './component-schemas.js';

export interface OpenApiDocumentOptions {
  version: string;
  /** The server has no default model, so a task must name one. */
  modelRequired: boolean;
  /** Whether requests need a bearer token, and from which OpenID Connect issuers. */
  auth: { mode: 'none' | 'tokens'; issuers: readonly string[] };
}

const TAGS = [
  { name: 'runs', description: 'Run code; list, read and cancel runs (executions and tasks alike).' },
  { name: 'tasks', description: 'Agent tasks: plan, write, run and check code with a model.' },
  { name: 'models', description: "UMCA's model gateway on the OpenAI-compatible wire, for agent frameworks." },
  { name: 'tools', description: 'The upstream MCP servers UMCA is a client of, and their tools.' },
  { name: 'gates', description: "The evaluation gates' verdicts (`umca gate check`)." },
  { name: 'events', description: 'Every step as a umca-events v1 CloudEvent, live over Server-Sent Events, resumable exactly.' },
  { name: 'service', description: 'Health, readiness, metrics and the contracts as JSON Schema.' },
];

/** What any operation may answer before it is reached (host-check.ts). */
const EVERY_OPERATION = {
  403: problemAnswer('The request came from a foreign origin (a web page this server did not serve): `forbidden_origin`.'),
  421: problemAnswer('The Host header names a host this server does not answer to (DNS rebinding protection): `misdirected_request`.'),
};

/** What an operation behind a token may answer besides (authenticate-requests.ts, the policy). */
const WITH_TOKEN = {
  401: problemAnswer(
    'No bearer token, or one that is refused; `code` names the check that failed (token_missing, token_expired, wrong_audience, bad_signature, ...) and `WWW-Authenticate` points to the protected resource metadata.',
    { 'WWW-Authenticate': { description: 'Bearer, with resource_metadata (RFC 9728).', schema: { type: 'string' }, required: true } },
  ),
  403: problemAnswer(
    "The caller's roles do not allow it (`policy_denied`, with the `rule` that refused it and the `tool`), or the request came from a foreign origin (`forbidden_origin`).",
  ),
  503: problemAnswer('The identity provider cannot be reached to check the token (`issuer_unreachable`); try again.'),
};

/** Paths that need a token on a server with authentication (authenticate-requests.ts). */
const needsToken = (path: string) => path.startsWith('/v1/') || path === '/metrics';

export function createOpenApiDocument(app: OpenAPIHono<EdgeEnv>, options: OpenApiDocumentOptions): Record<string, unknown> {
  const document = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'UMCA API',
      version: options.version,
      description:
        'Run untrusted code in WebAssembly sandboxes and agent tasks that write and check code, and follow every step as umca-events v1 (CloudEvents). Errors are RFC 9457 problem details with a stable `code`. The MCP server is at /mcp (Streamable HTTP), outside this document.',
    },
    tags: TAGS,
  });
  const secured = options.auth.mode === 'tokens';
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      Object.assign(operation.responses, EVERY_OPERATION);
      if (!secured || !needsToken(path)) continue;
      Object.assign(operation.responses, WITH_TOKEN);
      // Executions document their 429 themselves (the quota, and a remote queue that is full).
      if (method === 'post' && (path === '/v1/executions' || path === '/v1/tasks') && !operation.responses[429]) {
        operation.responses[429] = problemAnswer(
          "The caller's role allows no more runs now (`quota_exceeded`: `concurrentRuns` or `runsPerMinute`); try again after `Retry-After` seconds.",
          { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' }, required: true } },
        );
      }
      (operation as { security?: unknown }).security = [{ bearer: [] }];
    }
  }
  const securitySchemes = secured
    ? {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `An access token ${options.auth.issuers.length ? `from ${options.auth.issuers.join(' or ')}` : ''}${options.auth.issuers.length ? ', or ' : ''}from \`umca token create\`; what it may do is the server's policy for its roles.`,
        },
        ...Object.fromEntries(
          options.auth.issuers.map((issuer, index) => [
            index === 0 ? 'oidc' : `oidc${index + 1}`,
            { type: 'openIdConnect', openIdConnectUrl: `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration` },
          ]),
        ),
      }
    : undefined;
  return {
    ...document,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      ...document.components,
      schemas: { ...document.components?.schemas, ...componentSchemas({ modelRequired: options.modelRequired }) },
      ...(securitySchemes ? { securitySchemes } : {}),
    },
  };
}
