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
}

const TAGS = [
  { name: 'runs', description: 'Run code; list, read and cancel runs (executions and tasks alike).' },
  { name: 'tasks', description: 'Agent tasks: plan, write, run and check code with a model.' },
  { name: 'events', description: 'Every step as a umca-events v1 CloudEvent, live over Server-Sent Events, resumable exactly.' },
  { name: 'service', description: 'Health, readiness, metrics and the contracts as JSON Schema.' },
];

/** What any operation may answer before it is reached (host-check.ts). */
const EVERY_OPERATION = {
  403: problemAnswer('The request came from a foreign origin (a web page this server did not serve): `forbidden_origin`.'),
  421: problemAnswer('The Host header names a host this server does not answer to (DNS rebinding protection): `misdirected_request`.'),
};

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
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      if (operation && typeof operation === 'object' && 'responses' in operation) Object.assign(operation.responses, EVERY_OPERATION);
    }
  }
  return {
    ...document,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      ...document.components,
      schemas: { ...document.components?.schemas, ...componentSchemas({ modelRequired: options.modelRequired }) },
    },
  };
}
