// Copies the files the sandbox reads at run time that TypeScript does not emit (the Python guest
// module, the container lane's launcher) next to the compiled JavaScript.
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'sandbox', 'python');
mkdirSync(target, { recursive: true });
cpSync(join(root, 'src', 'sandbox', 'python'), target, { recursive: true, filter: (path) => !path.endsWith('.ts') });
// The container lane's launcher (runs inside its sandbox).
mkdirSync(join(root, 'dist', 'container'), { recursive: true });
cpSync(join(root, 'src', 'container', 'launcher.py'), join(root, 'dist', 'container', 'launcher.py'));
