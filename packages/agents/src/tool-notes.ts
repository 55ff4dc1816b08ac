/**
 * @module tool-notes
 * What the planner and the coder are told about the upstream MCP tools a task's program may call
 * (`from umca_tools import ragflow` in Python, `import { ragflow } from "umca:tools"` in
 * JavaScript): each tool as the call to write, its arguments with their JSON types (required ones
 * marked), and its description's first lines. A tool whose server or own name is not a plain
 * identifier is shown through `call`, which takes UMCA's name, so the note never relies on how
 * the sandbox's module spells an odd name.
 */
import type { SandboxToolV1 } from '@umca/contracts';

/** The most tools a prompt lists; past it, the rest are named only. */
const MAX_DESCRIBED = 20;
const MAX_DESCRIPTION_CHARS = 300;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

type Language = 'python' | 'javascript';

function isPlain(name: string): boolean {
  return IDENTIFIER.test(name) && !PYTHON_KEYWORDS.has(name);
}

function argumentsOf(tool: SandboxToolV1): string[] {
  const properties = tool.inputSchema.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return [];
  const required = new Set(Array.isArray(tool.inputSchema.required) ? tool.inputSchema.required : []);
  return Object.entries(properties as Record<string, unknown>).map(([name, schema]) => {
    const type =
      typeof schema === 'object' && schema !== null && typeof (schema as { type?: unknown }).type === 'string'
        ? (schema as { type: string }).type
        : 'any';
    return `${name}: ${type}${required.has(name) ? ' (required)' : ''}`;
  });
}

function callOf(tool: SandboxToolV1, language: Language): string {
  const args = argumentsOf(tool);
  if (isPlain(tool.server) && isPlain(tool.tool)) {
    return language === 'python'
      ? `${tool.server}.${tool.tool}(${args.join(', ')})`
      : `await ${tool.server}.${tool.tool}({ ${args.join(', ')} })`;
  }
  return language === 'python'
    ? `umca_tools.call(${JSON.stringify(tool.name)}, {${args.join(', ')}})`
    : `await call(${JSON.stringify(tool.name)}, { ${args.join(', ')} })`;
}

function describe(tool: SandboxToolV1): string {
  const text = tool.description.trim().split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ');
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS)}…` : text;
}

/** The tools section of a prompt; empty when the program may call none. */
export function toolNotes(tools: readonly SandboxToolV1[], language: Language): string {
  if (tools.length === 0) return '';
  const servers = [...new Set(tools.filter((tool) => isPlain(tool.server) && isPlain(tool.tool)).map((tool) => tool.server))];
  const imports =
    language === 'python'
      ? `import umca_tools${servers.length ? `\nfrom umca_tools import ${servers.join(', ')}` : ''}`
      : `import { call${servers.length ? `, ${servers.join(', ')}` : ''} } from "umca:tools";`;
  const described = tools.slice(0, MAX_DESCRIBED).map((tool) => `- ${callOf(tool, language)}: ${describe(tool) || '(no description)'}`);
  const more =
    tools.length > MAX_DESCRIBED
      ? [
          `- and ${tools.length - MAX_DESCRIBED} more: ${tools
            .slice(MAX_DESCRIBED)
            .map((tool) => tool.name)
            .join(', ')}`,
        ]
      : [];
  const returns =
    language === 'python'
      ? 'Each call returns a dict (the structured answer) or a str, and raises umca_tools.ToolCallError (with .code) when it fails or is refused.'
      : 'Each call returns a Promise of an object (the structured answer) or a string, and rejects with ToolCallError (with .code) when it fails or is refused.';
  return [
    'The program may call these tools of other services, as functions (arguments by name):',
    imports,
    ...described,
    ...more,
    returns,
    'Call a tool only when the task needs what it gives; call it from the program, and use its answer there.',
  ].join('\n');
}
