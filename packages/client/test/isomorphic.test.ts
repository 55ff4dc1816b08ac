/**
 * The client runs in browsers as well as Node: its sources import nothing from Node and nothing
 * at run time but the SSE parser (the contracts are types only, so no zod reaches a page). The
 * compiler checks the rest: the package is built without Node's types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const source = new URL('../src/', import.meta.url).pathname;
const files = readdirSync(source, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));

describe('the client package', () => {
  it('imports at run time only its own files and eventsource-parser', () => {
    const imports = files.flatMap((file) =>
      [...readFileSync(join(source, file), 'utf8').matchAll(/^import (?!type )[^;]*? from '([^']+)'/gm)].map((match) => match[1]),
    );
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((specifier) => !specifier?.startsWith('.') && specifier !== 'eventsource-parser')).toEqual([]);
  });
});
