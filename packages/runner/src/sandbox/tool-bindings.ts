/**
 * @module tool-bindings
 * The names under which a run's upstream tools appear in the sandbox's module (`umca_tools` in
 * Python, `umca:tools` in JavaScript): one namespace per server, one function per tool, each a
 * valid identifier. Decided here once, so both languages name a tool alike.
 */
import type { SandboxToolV1 } from '@umca/contracts';

/** What both modules export besides the namespaces; a server named like one is left out. */
export const TOOLS_MODULE_EXPORTS = [
  'call',
  'tools',
  'ToolCallError',
  'ToolDenied',
  'ToolUnavailable',
  'ToolArgumentsError',
  'ToolError',
] as const;

const PYTHON_KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

/** Words a JavaScript module cannot bind (its exports are bindings; a namespace's members are not). */
const JAVASCRIPT_RESERVED = new Set([
  ...PYTHON_KEYWORDS,
  'arguments',
  'case',
  'catch',
  'const',
  'debugger',
  'default',
  'delete',
  'do',
  'enum',
  'eval',
  'export',
  'extends',
  'false',
  'function',
  'implements',
  'instanceof',
  'interface',
  'let',
  'new',
  'null',
  'package',
  'private',
  'protected',
  'public',
  'static',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'typeof',
  'var',
  'void',
]);

export interface ToolFunction {
  /** Its name in the namespace. */
  readonly name: string;
  /** UMCA's name of the tool, which the call sends. */
  readonly tool: string;
}

export interface ToolNamespace {
  /** Its name in the module. */
  readonly name: string;
  readonly server: string;
  readonly functions: readonly ToolFunction[];
}

/**
 * `name` as an identifier: every character other than [A-Za-z0-9_] becomes `_`, a leading digit
 * (or nothing) gets a `_` before it, and a reserved word a `_` after it.
 *
 * @example
 * toIdentifier('get-data', new Set()); // "get_data"
 * toIdentifier('2fast', new Set()); // "_2fast"
 */
export function toIdentifier(name: string, reserved: ReadonlySet<string>): string {
  let identifier = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(identifier)) identifier = `_${identifier}`;
  return reserved.has(identifier) ? `${identifier}_` : identifier;
}

/** Names like `__init__` or `__proto__` would change the namespace object itself. */
const isSpecial = (name: string) => /^__.*__$/.test(name);

/**
 * The namespaces of a run's tools, in the order the list has them. Function names are the same in
 * both languages; a namespace name that JavaScript reserves (`delete`) also gets a `_` there.
 * Where two names meet (a tool named like another, a server named like an export), the later one
 * is left out; the program can still call it by UMCA's name with `call`.
 */
export function bindSandboxTools(tools: readonly SandboxToolV1[], language: 'python' | 'javascript'): ToolNamespace[] {
  const reservedNamespaces = language === 'javascript' ? JAVASCRIPT_RESERVED : PYTHON_KEYWORDS;
  const taken = new Set<string>(TOOLS_MODULE_EXPORTS);
  const byServer = new Map<string, { name: string; server: string; functions: ToolFunction[]; names: Set<string> } | undefined>();
  for (const tool of tools) {
    if (!byServer.has(tool.server)) {
      const name = toIdentifier(tool.server, reservedNamespaces);
      const left = taken.has(name);
      taken.add(name);
      byServer.set(tool.server, left ? undefined : { name, server: tool.server, functions: [], names: new Set() });
    }
    const namespace = byServer.get(tool.server);
    const name = toIdentifier(tool.tool, PYTHON_KEYWORDS);
    if (!namespace || namespace.names.has(name) || isSpecial(name)) continue;
    namespace.names.add(name);
    namespace.functions.push({ name, tool: tool.name });
  }
  return [...byServer.values()]
    .filter((namespace): namespace is NonNullable<typeof namespace> => namespace !== undefined)
    .map(({ name, server, functions }) => ({ name, server, functions }));
}

/** What the Python module's `_install` takes (as JSON): the run's tools and their names. */
export function toolsInstallation(tools: readonly SandboxToolV1[]): { tools: readonly SandboxToolV1[]; namespaces: ToolNamespace[] } {
  return { tools, namespaces: bindSandboxTools(tools, 'python') };
}
