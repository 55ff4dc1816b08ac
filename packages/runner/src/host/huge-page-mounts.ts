/**
 * @module huge-page-mounts
 * Node maps its own code into huge pages (`--use-largepages`) only after reading the host's
 * transparent-huge-page mode from sysfs, which the sandbox does not have. This mounts that one
 * file, read-only, where Node looks. It says whether the kernel offers huge pages ("always
 * [madvise] never"), which any process on the host can read; nothing else of /sys is mounted.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

export const THP_MODE_FILE = '/sys/kernel/mm/transparent_hugepage/enabled';

/** bubblewrap arguments that mount the THP mode file, or none when the host has no such file. */
export function hugePageMounts(modeFile = THP_MODE_FILE): string[] {
  if (!existsSync(modeFile)) return [];
  const folders: string[] = [];
  for (let folder = dirname(THP_MODE_FILE); folder !== '/'; folder = dirname(folder)) folders.unshift(folder);
  // bubblewrap would make the folders readable by root only; as root the sandbox runs as another uid.
  return [...folders.flatMap((folder) => ['--perms', '0755', '--dir', folder]), '--ro-bind', modeFile, THP_MODE_FILE];
}
