import * as z from 'zod';
import { parseSignalSet } from '../telemetry/signal-set-schema';
import { type SignalSet, signalSetById } from '../telemetry/signals';
import { writeFileAtomic } from './fs';
import { LakeError } from './lake-errors';
import { readStateFileIfExists, StateFileError } from './state-file';

/** `signalSetDocument` is the whole set (a user's set lives only here); old manifests carry only the built-in's id. */
const manifestSchema = z.object({
  signalSet: z.string().min(1, 'must name a signal set'),
  signalSetDocument: z.unknown().optional(),
});

type LakeManifest = z.infer<typeof manifestSchema>;

/**
 * Not "move it aside and re-run": without a manifest, `run` would take the lake for absent and simulate into it.
 * The data files are fine; the manifest only records their signal set, so it is restored or rewritten.
 */
export const manifestAdvice = (path: string): string =>
  `To fix it (the lake's data files are untouched), restore ${path} from a backup or rewrite it naming the signal ` +
  `set of the data: {"signalSet":"thermostat"} for a built-in set (thermostat, uci-occupancy, …), or ` +
  `{"signalSet":"<id>","signalSetDocument":<the content of your --signal-set file>}.`;

function bad(path: string, what: string, cause?: unknown): LakeError {
  return new LakeError(`The lake manifest ${path} ${what}. ${manifestAdvice(path)}`, { cause });
}

/**
 * Reads and validates the manifest (through the state-file loader); undefined when there is none. Every defect is
 * a LakeError naming the file, what is wrong and what to do.
 */
export function readLakeManifest(path: string): SignalSet | undefined {
  let manifest: LakeManifest | undefined;
  try {
    manifest = readStateFileIfExists(path, { what: 'lake manifest', schema: manifestSchema });
  } catch (error) {
    if (error instanceof StateFileError) throw bad(path, error.detail, error);
    throw error;
  }
  if (!manifest) return undefined;
  if (manifest.signalSetDocument !== undefined) {
    try {
      return parseSignalSet(manifest.signalSetDocument, `${path} (signalSetDocument)`);
    } catch (error) {
      throw bad(path, `holds an invalid signal set (${(error as Error).message})`, error);
    }
  }
  try {
    return signalSetById(manifest.signalSet);
  } catch (error) {
    throw bad(path, `names an unknown signal set: ${(error as Error).message}`, error);
  }
}

/** Writes the manifest atomically (temporary file, fsync, rename) so a crash never leaves a torn one. */
export function writeLakeManifest(path: string, set: SignalSet): void {
  const manifest: LakeManifest = { signalSet: set.id, signalSetDocument: set };
  writeFileAtomic(path, `${JSON.stringify(manifest)}\n`);
}
