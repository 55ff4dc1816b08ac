/**
 * @module build-exec-request
 * Turns `umca exec` arguments into an execution request. Pure apart from reading the files it is
 * pointed at, so the rules (language from the extension, what `-` means) are easy to test.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { ExecutionRequest, Language } from '@umca/contracts';
import { UsageError } from '../usage-error.js';

export interface ExecArguments {
  source?: string;
  language?: string;
  code?: string;
  allowHost: string[];
  timeoutMs?: string;
  memoryMb?: string;
  outputBytes?: string;
  file: string[];
  arg: string[];
  stdin?: string;
}

const LANGUAGES: readonly Language[] = ['python', 'javascript', 'wasi'];
const EXTENSIONS: Readonly<Record<string, Language>> = {
  '.py': 'python',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.wasm': 'wasi',
};

function readLocal(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function parseLanguage(value: string | undefined, source: string | undefined): Language {
  if (value !== undefined) {
    const normalized = value.toLowerCase() === 'js' ? 'javascript' : value.toLowerCase() === 'py' ? 'python' : value.toLowerCase();
    if (!LANGUAGES.includes(normalized as Language)) {
      throw new UsageError(`unknown language ${JSON.stringify(value)}; use one of: ${LANGUAGES.join(', ')}`);
    }
    return normalized as Language;
  }
  if (source && source !== '-') {
    const language = EXTENSIONS[extname(source).toLowerCase()];
    if (!language) {
      throw new UsageError(
        `cannot tell the language of ${JSON.stringify(source)} from its extension; pass --language (${LANGUAGES.join(', ')})`,
      );
    }
    return language;
  }
  throw new UsageError('say which language the code is in with --language (python, javascript or wasi)');
}

function parseLimit(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} takes a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** Builds the request; throws UsageError for anything the caller must fix. */
export function buildExecRequest(args: ExecArguments, readStdin: () => Buffer): ExecutionRequest {
  if (args.source !== undefined && args.code !== undefined) {
    throw new UsageError('give the code either as a FILE (or - for stdin) or with --code, not both');
  }
  if (args.source === undefined && args.code === undefined) {
    throw new UsageError('nothing to run: give a FILE, - to read the code from stdin, or --code');
  }
  const language = parseLanguage(args.language, args.source);
  const files = args.file.map((spec) => {
    const [local, target] = spec.includes('=')
      ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)]
      : [spec, basename(spec)];
    return { path: target, content: readLocal(local, 'input file').toString('base64'), encoding: 'base64' as const };
  });
  const limits = {
    ...(args.timeoutMs !== undefined ? { timeoutMs: parseLimit(args.timeoutMs, '--timeout-ms') } : {}),
    ...(args.memoryMb !== undefined ? { memoryMb: parseLimit(args.memoryMb, '--memory-mb') } : {}),
    ...(args.outputBytes !== undefined ? { outputBytes: parseLimit(args.outputBytes, '--output-bytes') } : {}),
  };
  const common = {
    ...(files.length > 0 ? { files } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(args.allowHost.length > 0 ? { allowedOutboundHosts: args.allowHost } : {}),
    ...(args.stdin !== undefined ? { stdin: readLocal(args.stdin, '--stdin file').toString('utf8') } : {}),
  };
  const body =
    args.code !== undefined ? Buffer.from(args.code, 'utf8') : args.source === '-' ? readStdin() : readLocal(args.source as string, 'file');
  if (language === 'wasi') {
    if (args.code !== undefined) throw new UsageError('a wasi module is binary: pass it as a FILE (or - on stdin), not with --code');
    return { language, module: body.toString('base64'), args: args.arg, ...common };
  }
  if (args.arg.length > 0) throw new UsageError('--arg is for wasi modules only');
  return { language, code: body.toString('utf8'), ...common };
}
