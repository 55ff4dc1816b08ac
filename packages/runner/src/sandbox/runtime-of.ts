/**
 * @module runtime-of
 * Which interpreter runs each language; the host reports it when a run starts, the sandbox in
 * the run's outcome.
 */
import type { Runtime } from '@umca/contracts';
import type { RunOrder } from './protocol.js';

export function runtimeOf(language: RunOrder['language']): Runtime {
  return language === 'python' ? 'pyodide' : language === 'javascript' ? 'quickjs' : 'wasi';
}
