import { existsSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import { parseSignalSet } from '../telemetry/signal-set-schema';
import { type SignalSet, signalSetById } from '../telemetry/signals';
import { writeFileAtomic } from './fs';
import { LakeError } from './lake-errors';

/** `signalSetDocument` is the whole set (a user's set lives only here); old manifests carry only the built-in's id. */
const manifestSchema = z.object({
  signalSet: z.string().min(1, 'must be a signal set id'),
  signalSetDocument: z.unknown().optional(),
});

type LakeManifest = z.infer<typeof manifestSchema>;

const whatToDo = (path: string): string =>
  `Restore it from a backup, or move it aside (mv ${path} ${path}.bad) and run the same import or simulate ` +
  'again with the same --signal-set to write a new one; the lake data files are kept.';

function bad(path: string, what: string, cause?: unknown): LakeError {
  return new LakeError(`The lake manifest ${path} ${what}. ${whatToDo(path)}`, { cause });
}

/** Reads and validates the manifest; undefined when there is none. Every defect is a LakeError naming the file. */
export function readLakeManifest(path: string): SignalSet | undefined {
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw bad(path, `cannot be read (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (text.trim() === '') throw bad(path, 'is empty');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw bad(path, `is not valid JSON (truncated or edited?): ${(error as Error).message}`, error);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw bad(path, `holds ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}, not an object`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `field "${i.path.join('.') || '$'}": ${i.message}`).join('; ');
    throw bad(path, `has the wrong shape (${issues})`, parsed.error);
  }
  const manifest: LakeManifest = parsed.data;
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
    throw bad(path, `names an unknown signal set "${manifest.signalSet}"`, error);
  }
}

/** Writes the manifest atomically (temporary file, fsync, rename) so a crash never leaves a torn one. */
export function writeLakeManifest(path: string, set: SignalSet): void {
  const manifest: LakeManifest = { signalSet: set.id, signalSetDocument: set };
  writeFileAtomic(path, `${JSON.stringify(manifest)}\n`);
}
