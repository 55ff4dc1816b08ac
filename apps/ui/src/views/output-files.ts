/**
 * @module output-files
 * The files a run left: each can be downloaded, and pictures (PNG, JPEG, GIF, WebP; a matplotlib
 * figure saved with `savefig`) show in the page. The kind is read from the file's first bytes,
 * never from its name: a run names its files as it likes. SVG is offered as a download only.
 */
import type { ExecutionResult } from '@umca/contracts';
import { el } from '../dom.js';

type OutputFile = ExecutionResult['files'][number];

const SIGNATURES: ReadonlyArray<[type: string, bytes: number[]]> = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
];

function bytesOf(file: OutputFile): Uint8Array<ArrayBuffer> {
  if (file.encoding === 'utf8') return new TextEncoder().encode(file.content) as Uint8Array<ArrayBuffer>;
  const binary = atob(file.content);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** The picture type of these bytes, or undefined when they are not a picture the page shows. */
export function pictureType(bytes: Uint8Array): string | undefined {
  for (const [type, signature] of SIGNATURES) {
    if (signature.every((byte, index) => bytes[index] === byte)) return type;
  }
  const riff = String.fromCharCode(...bytes.subarray(0, 4));
  const webp = String.fromCharCode(...bytes.subarray(8, 12));
  return riff === 'RIFF' && webp === 'WEBP' ? 'image/webp' : undefined;
}

function fileItem(file: OutputFile): HTMLElement {
  const bytes = bytesOf(file);
  const type = pictureType(bytes);
  const url = URL.createObjectURL(new Blob([bytes], { type: type ?? 'application/octet-stream' }));
  const name = file.path.split('/').at(-1) ?? 'file';
  const link = el('a', { href: url, download: name, class: 'mono' }, `${file.path} (${file.sizeBytes} bytes)`);
  if (!type) return el('li', {}, link);
  return el(
    'li',
    {},
    link,
    el('img', { src: url, alt: `${file.path}, a file the run wrote`, class: 'output-picture', 'data-testid': 'output-picture' }),
  );
}

export function outputFiles(result: ExecutionResult): HTMLElement {
  return el(
    'div',
    {},
    el('h2', { class: 'section' }, 'Files'),
    el('ul', { 'data-testid': 'output-files' }, ...result.files.map(fileItem)),
    result.droppedFiles ? el('p', { class: 'mono' }, result.droppedFiles.summary) : null,
  );
}
