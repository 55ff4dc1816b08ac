// Builds the page into dist/, which `umca serve` serves: the static files (HTML, CSS, icon) and
// one bundle of the compiled modules (build/, from `tsc -b`) with what they import, the UMCA
// client and its SSE parser among them. The browser gets one script and no bare imports, which
// it could not resolve (and the page's CSP allows no inline import map).
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'build', 'main.js');
if (!existsSync(entry)) {
  console.error(`${entry} is missing: compile the page first with \`npx tsc -b\` (or \`npm run build\` at the top).`);
  process.exit(1);
}
rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist'), { recursive: true });
cpSync(join(root, 'static'), join(root, 'dist'), { recursive: true });
await build({
  input: entry,
  platform: 'browser',
  logLevel: 'warn',
  output: { file: join(root, 'dist', 'main.js'), format: 'esm', sourcemap: true },
});
