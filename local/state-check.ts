import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PipelineConfigError } from '../pipeline/config';
import { FileApprovalStore } from './adapters/approvals';
import { LocalModelRegistry } from './adapters/sagemaker-registry';
import { HostingStateError } from './hosting/errors';
import { HostingState } from './hosting/state';
import { LakeError, LocalLake } from './lake';
import { LocalConfigError, loadLocalConfig } from './local-config';
import { readAlarmDefinitions, readAlarmStates } from './metrics/alarms';
import { ExecutionStore } from './runtime/executions';
import { TaskTokenBroker } from './runtime/task-tokens';
import { adviceText, StateFileError } from './state-file';

/**
 * Every state file of a state folder, read once: `occupancy status` lists the ones that cannot be read back (and
 * shows the rest), `occupancy run` refuses to start while there is one, naming it, rather than failing half-way.
 */

export interface BadStateFile {
  readonly file: string;
  /** What is wrong and what to do, in plain words (the file is named in it). */
  readonly message: string;
}

/** Several state files cannot be read back: `run` names them all. */
export class StateFilesError extends Error {
  override readonly name = 'StateFilesError';
  constructor(readonly files: readonly BadStateFile[]) {
    super(
      files.length === 1
        ? (files[0]?.message ?? '')
        : `${files.length} state files cannot be read back:\n${files.map((f) => `  - ${f.message}`).join('\n')}`,
    );
  }
}

const bad = (file: string, message: string): BadStateFile => ({ file, message });

/** The state files of `stateDir` that cannot be read back, each named with what to do. */
export function checkStateFiles(
  stateDir: string,
  /** The execution records' errors, if the caller already scanned them (`status`). */
  known: { readonly executions?: readonly StateFileError[] } = {},
): BadStateFile[] {
  const root = resolve(stateDir);
  const found: BadStateFile[] = [];
  const manifest = join(root, 'lake', 'manifest.json');
  const config = join(root, 'config.json');
  let lakeReadable = true;
  try {
    LocalLake.signalSetOf(root);
  } catch (error) {
    if (!(error instanceof LakeError)) throw error;
    lakeReadable = false;
    found.push(bad(manifest, error.message));
  }
  if (lakeReadable) {
    try {
      loadLocalConfig(root);
    } catch (error) {
      if (error instanceof StateFileError) found.push(bad(error.file, error.message));
      else if (error instanceof LocalConfigError) found.push(bad(error.file, error.message));
      else if (error instanceof PipelineConfigError) {
        found.push(bad(config, `${config}: ${error.message}: ${adviceText(config, 'fix')}`));
      } else throw error;
    }
  }
  // Only folders that exist are opened: a check must not create a state folder's layout (the stores mkdir).
  const has = (dir: string) => existsSync(join(root, dir));
  for (const error of [
    ...(known.executions ?? (has('executions') ? new ExecutionStore(root).scan().bad : [])),
    ...(has('approvals') ? new FileApprovalStore(root).scan().bad : []),
    ...(has('task-tokens') ? new TaskTokenBroker(root).scan().bad : []),
    ...new LocalModelRegistry(root).scanAll().bad,
  ]) {
    found.push(bad(error.file, error.message));
  }
  for (const read of [readAlarmDefinitions, readAlarmStates]) {
    try {
      read(root);
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      found.push(bad(error.file, error.message));
    }
  }
  try {
    if (has('hosting/state.json')) new HostingState(root).load();
  } catch (error) {
    if (!(error instanceof HostingStateError)) throw error;
    found.push(
      bad(
        error.file,
        `${error.message}: ${adviceText(error.file, 'move-aside')} (the local endpoint is then forgotten; the next approved run creates it again)`,
      ),
    );
  }
  return found;
}

/** Throws StateFilesError naming every state file that cannot be read back. */
export function assertStateFilesReadable(stateDir: string): void {
  const found = checkStateFiles(stateDir);
  if (found.length > 0) throw new StateFilesError(found);
}
