/**
 * @module read-mcp-servers
 * The upstream servers from where an operator gives them: a `umca.mcp-servers.v1` file, and
 * `--mcp-server name=url` flags for the plain case. `${NAME}` in a string value is taken from the
 * environment here, once, so secrets stay out of files; a variable that is not set is named, with
 * the field that wanted it, rather than sent as an empty credential.
 */
import { readFileSync } from 'node:fs';
import { issueSentence, type McpServersConfig, mcpServersConfigSchema, type UpstreamServer, upstreamServerSchema } from '@umca/contracts';
import { UpstreamError } from './upstream-error.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index ? '.' : ''}${String(part)}`)).join('');
}

/** Replaces `${NAME}` in every string of `value` from `env`; throws naming the field and the variable that is not set. */
function expand(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[], where: string): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') {
        throw new UpstreamError('invalid_config', `${where}: ${fieldPath(path)} needs the environment variable ${name}, which is not set`);
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expand(item, env, [...path, index], where));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expand(item, env, [...path, key], where)]));
  }
  return value;
}

/** Reads and checks a `umca.mcp-servers.v1` file; throws UpstreamError('invalid_config') naming the problem. */
export function readMcpServers(path: string, env: NodeJS.ProcessEnv = process.env): UpstreamServer[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UpstreamError(
      'invalid_config',
      missing ? `there is no MCP servers file at ${path}` : `cannot read the MCP servers file ${path}: ${(error as Error).message}`,
    );
  }
  const parsed = mcpServersConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${fieldPath(issue.path) || '(the file)'} ${issueSentence(issue)}`).join('; ');
    throw new UpstreamError('invalid_config', `the MCP servers file ${path} is not a valid umca.mcp-servers.v1: ${problems}`);
  }
  return (expand(parsed.data, env, [], `the MCP servers file ${path}`) as McpServersConfig).servers;
}

/** `ragflow=http://127.0.0.1:9380/mcp` (a `--mcp-server` flag) as a server over Streamable HTTP. */
export function parseMcpServerFlag(flag: string): UpstreamServer {
  const equals = flag.indexOf('=');
  const parsed = upstreamServerSchema.safeParse(
    equals > 0 ? { name: flag.slice(0, equals), transport: 'http', url: flag.slice(equals + 1) } : { transport: 'http' },
  );
  if (equals <= 0 || !parsed.success) {
    const why = parsed.success
      ? ''
      : `: ${parsed.error.issues.map((issue) => `${fieldPath(issue.path)} ${issueSentence(issue)}`).join('; ')}`;
    throw new UpstreamError(
      'invalid_config',
      `--mcp-server ${JSON.stringify(flag)} must be name=url, e.g. ragflow=http://127.0.0.1:9382/mcp${equals > 0 ? why : ''}`,
    );
  }
  return parsed.data;
}
