/**
 * Whether UMCA knows it runs in a container, from the marks engines leave: the hint for a sandbox
 * that did not start is given there and only there.
 */
import { describe, expect, it } from 'vitest';
import { inContainer } from '../src/host/container-hint.js';

describe('inContainer', () => {
  const none = () => false;
  it('sees podman, docker, $container and Kubernetes', () => {
    expect(inContainer({}, (path) => path === '/run/.containerenv')).toBe(true);
    expect(inContainer({}, (path) => path === '/.dockerenv')).toBe(true);
    expect(inContainer({ container: 'podman' }, none)).toBe(true);
    expect(inContainer({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, none)).toBe(true);
  });
  it('says no on a host without those marks', () => {
    expect(inContainer({ HOME: '/root' }, none)).toBe(false);
  });
});
