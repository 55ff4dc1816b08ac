/**
 * Where the client sends its requests when no baseUrl is given, with the surroundings injected:
 * a browser's origin, then Node's UMCA_SERVER, then the default address of `umca serve`.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BASE_URL, resolveBaseUrl } from '../src/internal/resolve-base-url.js';

describe('resolveBaseUrl', () => {
  it('prefers the option, then the page’s origin, then UMCA_SERVER, then the default', () => {
    const everything = { origin: 'https://umca.example', env: { UMCA_SERVER: 'http://10.0.0.2:9000' } };
    expect(resolveBaseUrl('http://localhost:1234/', everything)).toBe('http://localhost:1234');
    expect(resolveBaseUrl(undefined, everything)).toBe('https://umca.example');
    expect(resolveBaseUrl(undefined, { env: everything.env })).toBe('http://10.0.0.2:9000');
    expect(resolveBaseUrl(undefined, { env: { UMCA_SERVER: '' } })).toBe(DEFAULT_BASE_URL);
    expect(resolveBaseUrl(undefined, {})).toBe('http://127.0.0.1:8787');
  });

  it('keeps a path prefix, for a server behind a proxy', () => {
    expect(resolveBaseUrl('https://tools.example/umca/', {})).toBe('https://tools.example/umca');
  });

  it('names where a bad address came from', () => {
    expect(() => resolveBaseUrl(undefined, { env: { UMCA_SERVER: '127.0.0.1:8787' } })).toThrow(
      /not "127.0.0.1:8787" \(from UMCA_SERVER\)/,
    );
  });
});
