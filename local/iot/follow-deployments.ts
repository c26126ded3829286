import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { AdoptedEndpoint } from '../hosting/adopt';
import type { LocalHosting } from '../hosting/hosting';

/**
 * `serve` follows deployments made by any process: `occupancy run` in another terminal writes the hosting state
 * file with an atomic rename, which fs.watch on its directory reports at once; a slow stat poll catches what
 * fs.watch misses (network and some container filesystems do not deliver events). Either one makes the hosting
 * re-read the file and switch fleets, so the next reading uses the new config.
 */

export interface DeploymentFollower {
  /** Re-reads the state file now (also what the watcher and the poll call). */
  check(): AdoptedEndpoint[];
  close(): void;
}

export interface FollowOptions {
  /** @default 2000 */
  readonly pollMs?: number;
  readonly onChange: (change: AdoptedEndpoint) => void;
  /** The state file could not be read (e.g. a hand-edited file); the endpoint keeps serving what it served. */
  readonly onError: (error: unknown) => void;
}

/** The line `serve` logs when an endpoint switches. */
export function describeSwitch(change: AdoptedEndpoint): string {
  if (change.error !== undefined) {
    return `endpoint ${change.endpointName} keeps config ${change.endpointConfigName ?? '(none)'}: the new deployment could not be loaded (${change.error})`;
  }
  if (change.endpointConfigName === undefined) return `endpoint ${change.endpointName} was deleted`;
  const models = change.modelNames.join(', ') || 'no model';
  const status = change.status === 'InService' ? '' : ` [${change.status}]`;
  return `endpoint ${change.endpointName} now serves config ${change.endpointConfigName} (model ${models})${status}`;
}

const signature = (file: string): string => {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'absent';
  }
};

export function followDeployments(hosting: LocalHosting, options: FollowOptions): DeploymentFollower {
  const file = hosting.stateFile;
  let closed = false;
  let last = file === undefined ? '' : signature(file);
  let debounce: NodeJS.Timeout | undefined;
  const check = (): AdoptedEndpoint[] => {
    if (closed || file === undefined) return [];
    last = signature(file);
    let changes: AdoptedEndpoint[] = [];
    try {
      changes = hosting.adoptPersistedState();
    } catch (error) {
      options.onError(error);
    }
    for (const change of changes) options.onChange(change);
    return changes;
  };
  if (file === undefined) return { check, close: () => {} };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      // One rename can arrive as several events: read once they settle.
      clearTimeout(debounce);
      debounce = setTimeout(check, 25);
    });
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined; // the poll alone follows
  }
  const poll = setInterval(() => {
    if (signature(file) !== last) check();
  }, options.pollMs ?? 2000);
  poll.unref();
  return {
    check,
    close: () => {
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
