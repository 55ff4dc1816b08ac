/**
 * @module tool-arguments
 * The arguments an upstream tool takes, read from its JSON Schema (`inputSchema`) as another MCP
 * server sent it: the names under `properties`, in the schema's order, each marked when `required`
 * lists it. The schema is not trusted to be well formed: `properties` that is not an object, or
 * `required` that is not a list of names, counts as none, so an odd schema shows fewer arguments
 * rather than breaking the panel. No DOM here: what is shown is the caller's to build.
 */

export interface ToolArgument {
  readonly name: string;
  readonly required: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function toolArguments(inputSchema: Readonly<Record<string, unknown>>): ToolArgument[] {
  const properties = isRecord(inputSchema.properties) ? Object.keys(inputSchema.properties) : [];
  const listed: unknown[] = Array.isArray(inputSchema.required) ? inputSchema.required : [];
  const required = new Set(listed.filter((name): name is string => typeof name === 'string'));
  return properties.map((name) => ({ name, required: required.has(name) }));
}
