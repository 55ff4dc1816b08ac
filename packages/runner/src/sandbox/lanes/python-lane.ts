/**
 * @module python-lane
 * Python on Pyodide. The interpreter was loaded (from a memory snapshot) in the zygote; this
 * child is a fork of it, so whatever the program does dies with the child.
 */
import type { PyodideAPI } from 'pyodide';
import type { ChildOutcome } from '../protocol.js';
import { collectOutputFiles, decodeInputFile } from '../workspace.js';
import type { Lane, LaneContext } from './lane.js';

export const PYTHON_WORKDIR = '/work';

type PyodideFS = {
  mkdirTree(path: string): void;
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  readdir(path: string): string[];
  isDir(mode: number): boolean;
  stat(path: string): { mode: number };
  chdir(path: string): void;
};

function* walk(fs: PyodideFS, root: string, prefix = ''): Generator<[string, Uint8Array]> {
  for (const name of fs.readdir(root)) {
    if (name === '.' || name === '..') continue;
    const path = `${root}/${name}`;
    const relative = prefix ? `${prefix}/${name}` : name;
    if (fs.isDir(fs.stat(path).mode)) yield* walk(fs, path, relative);
    else yield [relative, fs.readFile(path)];
  }
}

/** Returns the Python lane bound to a loaded interpreter. */
export function createPythonLane(pyodide: PyodideAPI): Lane {
  return { runtime: 'pyodide', run: (context) => runPython(pyodide, context) };
}

async function runPython(pyodide: PyodideAPI, context: LaneContext): Promise<ChildOutcome> {
  {
    const { order, output } = context;
    const fs = pyodide.FS as unknown as PyodideFS;
    const writer = (stream: 'stdout' | 'stderr') => ({
      isatty: false,
      write: (bytes: Uint8Array) => {
        output.write(stream, bytes);
        return bytes.byteLength;
      },
    });
    pyodide.setStdout(writer('stdout'));
    pyodide.setStderr(writer('stderr'));
    let stdin: string | null = order.stdin ?? null;
    pyodide.setStdin({
      stdin: () => {
        const data = stdin;
        stdin = null;
        return data;
      },
      autoEOF: true,
    });
    for (const file of order.files) {
      const path = `${PYTHON_WORKDIR}/${file.path}`;
      fs.mkdirTree(path.slice(0, path.lastIndexOf('/')));
      fs.writeFile(path, decodeInputFile(file));
    }
    fs.chdir(PYTHON_WORKDIR);

    const run = pyodide.pyimport('umca_guest').run as (code: string) => Promise<string>;
    const outcome = JSON.parse(await run(order.code ?? '')) as Omit<ChildOutcome, 'files' | 'runtime'>;
    output.flush();
    return { ...outcome, files: collectOutputFiles(walk(fs, PYTHON_WORKDIR), order.files), runtime: 'pyodide' };
  }
}
