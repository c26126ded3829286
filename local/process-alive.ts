/**
 * Whether a process with this pid exists (signal 0 probes without signalling). EPERM means it exists but belongs
 * to another user. Used to tell a crashed writer's leftovers (runs, staged appends, locks) from a live one's.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
