import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a state file so readers (this process, or `occupancy status/approve` in another) never see a torn
 * file: write a temporary beside it, then rename over it (atomic on one filesystem).
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  // fsync before the rename: otherwise a power loss can leave the new name pointing at an empty file.
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
