/**
 * @module component-schemas
 * The contracts under the names a generated client gives its types (`components.schemas`), as
 * JSON Schema 2020-12 (OpenAPI 3.1's dialect) from zod's own converter, the same one `/schemas`
 * uses. Requests are described as a caller may send them (defaults optional), answers as the
 * server sends them (defaults filled in). Unions carry a `discriminator`, so clients pick the
 * variant by its tag instead of by trial.
 */
import {
  cancelAcceptedSchema,
  chatCompletionRequestSchema,
  chatCompletionSchema,
  executionRequestSchema,
  executionResultSchema,
  gateVerdictListSchema,
  healthSchema,
  inputFileSchema,
  javascriptRequestSchema,
  problemSchema,
  pythonRequestSchema,
  readinessSchema,
  runAcceptedSchema,
  runListSchema,
  runResultSchema,
  runSchema,
  runSummarySchema,
  runTraceSchema,
  schemaIndexSchema,
  sessionExecutionRequestSchema,
  sessionLimitsSchema,
  sessionListSchema,
  sessionRequestSchema,
  sessionRunLimitsSchema,
  sessionRunResultSchema,
  sessionViewSchema,
  taskRequestSchema,
  taskResultSchema,
  UMCA_EVENT_TYPES,
  umcaEventSchema,
  upstreamToolListSchema,
  wasiRequestSchema,
} from '@umca/contracts';
import { z } from 'zod';

type Schema = z.ZodType;

/** provider:model. Every name the gateway accepts matches it (it trims, then wants a colon with text on both sides). */
const MODEL_PATTERN = String.raw`^[^:]+:[\s\S]+$`;
type JsonSchema = Record<string, unknown>;

/** A reference to a component, for a route's body or answer. */
export function ref(name: ComponentName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** "dev.umca.run.created.v1" → "RunCreatedEvent". */
function eventComponentName(type: string): string {
  const words = type
    .replace(/^dev\.umca\./, '')
    .replace(/\.v\d+$/, '')
    .split('.');
  return `${words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')}Event`;
}

const INPUTS = {
  ExecutionRequest: executionRequestSchema,
  PythonExecutionRequest: pythonRequestSchema,
  JavaScriptExecutionRequest: javascriptRequestSchema,
  WasiExecutionRequest: wasiRequestSchema,
  TextInputFile: inputFileSchema.options[0],
  Base64InputFile: inputFileSchema.options[1],
  TaskRequest: taskRequestSchema,
  ChatCompletionRequest: chatCompletionRequestSchema,
  SessionRequest: sessionRequestSchema,
  PythonSessionRequest: sessionRequestSchema.options[0],
  JavaScriptSessionRequest: sessionRequestSchema.options[1],
  SessionRequestLimits: sessionLimitsSchema,
  SessionExecutionRequest: sessionExecutionRequestSchema,
  PythonSessionExecutionRequest: sessionExecutionRequestSchema.options[0],
  JavaScriptSessionExecutionRequest: sessionExecutionRequestSchema.options[1],
  SessionRunLimits: sessionRunLimitsSchema,
} satisfies Record<string, Schema>;

const OUTPUTS = {
  RunResult: runResultSchema,
  ExecutionResult: executionResultSchema,
  RunAccepted: runAcceptedSchema,
  CancelAccepted: cancelAcceptedSchema,
  Run: runSchema,
  ExecutionRun: runSchema.options[0],
  TaskRun: runSchema.options[1],
  RunSummary: runSummarySchema,
  RunList: runListSchema,
  RunTrace: runTraceSchema,
  GateVerdictList: gateVerdictListSchema,
  UpstreamToolList: upstreamToolListSchema,
  ChatCompletion: chatCompletionSchema,
  TaskResult: taskResultSchema,
  Problem: problemSchema,
  Health: healthSchema,
  Readiness: readinessSchema,
  SchemaIndex: schemaIndexSchema,
  UmcaEvent: umcaEventSchema,
  Session: sessionViewSchema,
  SessionList: sessionListSchema,
  SessionRunResult: sessionRunResultSchema,
} satisfies Record<string, Schema>;

const EVENTS: Record<string, Schema> = Object.fromEntries(
  UMCA_EVENT_TYPES.map((type, index) => [eventComponentName(type), umcaEventSchema.options[index] as Schema]),
);

export type ComponentName = keyof typeof INPUTS | keyof typeof OUTPUTS;

/** Which property tells a union's variants apart, and the component each value means. */
const DISCRIMINATORS: Record<string, { propertyName: string; mapping: Record<string, string> }> = {
  ExecutionRequest: {
    propertyName: 'language',
    mapping: { python: 'PythonExecutionRequest', javascript: 'JavaScriptExecutionRequest', wasi: 'WasiExecutionRequest' },
  },
  SessionRequest: { propertyName: 'language', mapping: { python: 'PythonSessionRequest', javascript: 'JavaScriptSessionRequest' } },
  SessionExecutionRequest: {
    propertyName: 'language',
    mapping: { python: 'PythonSessionExecutionRequest', javascript: 'JavaScriptSessionExecutionRequest' },
  },
  Run: { propertyName: 'kind', mapping: { execution: 'ExecutionRun', task: 'TaskRun' } },
  UmcaEvent: { propertyName: 'type', mapping: Object.fromEntries(UMCA_EVENT_TYPES.map((type) => [type, eventComponentName(type)])) },
};

function convert(schemas: Record<string, Schema>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }).schemas;
  // Each is a component of the document, not a document of its own: no $schema or $id.
  return Object.fromEntries(Object.entries(converted).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]));
}

/**
 * Every component. `modelRequired`: the server has no default model, so a task must name one.
 */
export function componentSchemas(options: { modelRequired: boolean }): Record<string, JsonSchema> {
  const schemas = { ...convert(INPUTS, 'input'), ...convert({ ...OUTPUTS, ...EVENTS }, 'output') };
  for (const [name, { propertyName, mapping }] of Object.entries(DISCRIMINATORS)) {
    const mapped = Object.fromEntries(Object.entries(mapping).map(([value, component]) => [value, `#/components/schemas/${component}`]));
    schemas[name] = { ...schemas[name], discriminator: { propertyName, mapping: mapped } };
  }
  // Over HTTP a model is always provider:model ("sampling" is an MCP client's own model). Whether
  // it can work here (a known provider, a key, a file) the server says: 400 model_unavailable.
  const taskProperties = (schemas.TaskRequest as { properties: Record<string, JsonSchema> }).properties;
  taskProperties.model = { ...taskProperties.model, pattern: MODEL_PATTERN };
  const fallbacks = taskProperties.fallbackModels as { items: JsonSchema };
  fallbacks.items = { ...fallbacks.items, pattern: MODEL_PATTERN };
  const chatProperties = (schemas.ChatCompletionRequest as { properties: Record<string, JsonSchema> }).properties;
  chatProperties.model = { ...chatProperties.model, pattern: MODEL_PATTERN };
  if (options.modelRequired) {
    for (const name of ['TaskRequest', 'ChatCompletionRequest']) {
      const request = schemas[name] as { required?: string[]; properties: Record<string, JsonSchema> };
      request.required = [...(request.required ?? []), 'model'];
      request.properties.model = {
        ...request.properties.model,
        description: `${request.properties.model?.description ?? ''} Required: this server has no default model.`.trim(),
      };
    }
  }
  return schemas;
}
