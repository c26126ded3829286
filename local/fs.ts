import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a state file so readers (this process, or `occupancy status/approve` in another) never see a torn
 * file: write a temporary beside it, then rename over it (atomic on one filesystem).
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
