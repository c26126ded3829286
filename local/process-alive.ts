import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid is running (signal 0 probes without signalling; EPERM means it runs as another
 * user). A zombie — killed, not yet reaped by its parent or by pid 1 — counts as gone: a crashed writer's
 * leftovers (runs, staged appends, locks) must not wait on it. Used to tell those from a live writer's.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: the state letter after the command name in /proc/<pid>/stat (Z zombie, X dead). Elsewhere: false. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
