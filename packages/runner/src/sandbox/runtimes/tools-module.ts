/**
 * @module tools-module
 * The source of the `umca:tools` module a QuickJS program imports: the run's upstream tools as
 * async functions, one namespace per server, built on the calls the prelude left in its slot.
 * Generated for each run from the run's tools; names as tool-bindings.ts decides them.
 */
import type { SandboxToolV1 } from '@umca/contracts';
import { bindSandboxTools } from '../tool-bindings.js';
import { TOOLS_SLOT } from './quickjs-prelude.js';

/** The specifier programs import it by; the only module a program can import. */
export const TOOLS_MODULE = 'umca:tools';

/**
 * The module's source. Its own names start with `$`, which no namespace name has.
 *
 * @example
 * // import { ragflow, call, tools, ToolDenied } from "umca:tools";
 * // const chunks = await ragflow.ragflow_retrieval({ question: "What is UMCA?" });
 */
export function toolsModuleSource(tools: readonly SandboxToolV1[]): string {
  const lines = [
    `const $tools = globalThis[Symbol.for(${JSON.stringify(TOOLS_SLOT)})];`,
    `const $list = ${JSON.stringify(JSON.stringify(tools))};`,
    'export const { call, ToolCallError, ToolDenied, ToolUnavailable, ToolArgumentsError, ToolError } = $tools;',
    'export const tools = () => JSON.parse($list);',
  ];
  for (const namespace of bindSandboxTools(tools, 'javascript')) {
    const functions = namespace.functions.map((entry) => [entry.name, entry.tool]);
    lines.push(`export const ${namespace.name} = $tools.bind(${JSON.stringify(functions)});`);
  }
  return `${lines.join('\n')}\n`;
}
