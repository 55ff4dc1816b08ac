/**
 * @module write-output-files
 * `umca exec --out-dir`: writes a run's files into a folder. The runner's host already checked
 * them; this checks again, because a name from the sandbox is about to reach the user's disk and
 * terminal: a name that breaks the path rule or would land outside the folder is refused, and
 * said so, with the name escaped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { escapePath, findPathProblem, type OutputFile } from '@umca/contracts';

/**
 * Writes each file under `outDir`, creating folders as needed. Returns one line for each file it
 * did not write (refused or failed); an empty list means every file was written.
 */
export async function writeOutputFiles(files: readonly OutputFile[], outDir: string): Promise<string[]> {
  const root = resolve(outDir);
  const problems: string[] = [];
  for (const file of files) {
    const shown = `"${escapePath(file.path)}"`;
    const problem = findPathProblem(file.path);
    if (problem) {
      problems.push(`not writing ${shown} into ${outDir}: the name ${problem}; a file name must be a plain relative path`);
      continue;
    }
    const target = resolve(root, file.path);
    if (!target.startsWith(`${root}${sep}`)) {
      problems.push(`not writing ${shown}: it would land outside ${outDir}`);
      continue;
    }
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8'));
    } catch (error) {
      problems.push(`could not write ${shown} into ${outDir}: ${(error as Error).message}`);
    }
  }
  return problems;
}
