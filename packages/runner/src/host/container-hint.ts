/**
 * @module container-hint
 * What an operator whose sandbox did not start inside a container needs to hear: bubblewrap
 * mounts a /proc of its own and names its sandbox, which container engines' defaults forbid (a
 * masked /proc cannot be remounted; their seccomp profiles allow sethostname only with
 * CAP_SYS_ADMIN, which bubblewrap refuses to run with). docs/image.md has the measured options.
 */
import { existsSync } from 'node:fs';

/** Podman writes /run/.containerenv, Docker /.dockerenv; systemd-nspawn and others set $container; Kubernetes sets its service host. */
export function inContainer(env: NodeJS.ProcessEnv = process.env, exists: (path: string) => boolean = existsSync): boolean {
  return exists('/run/.containerenv') || exists('/.dockerenv') || env.container !== undefined || env.KUBERNETES_SERVICE_HOST !== undefined;
}

export const CONTAINER_HINT =
  'UMCA runs in a container here, and its sandbox needs /proc unmasked and a seccomp profile that allows sethostname: ' +
  'podman or docker run --security-opt unmask=/proc/* --security-opt seccomp=FILE (sh ops/image/seccomp-profile.sh --to FILE); ' +
  'Kubernetes: procMount: Unmasked and that profile (docs/image.md)';
