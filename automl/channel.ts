/**
 * One AutoML input channel on disk: a file, or a folder standing for an S3 prefix (every object under it, in key
 * order), of the channel's content type. The two content types Autopilot takes for tabular problems
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoMLJobChannel.html).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AUTOML_PARQUET, type ChannelContentType } from './content-types';
import { type TrainingData, trainingDataFromCsv } from './data';
import { AutoMLInputError } from './errors';
import { trainingDataFromParquet } from './parquet';

/** The files of a channel path: itself, or every file under the folder, by key (byte order of the relative path). */
export function channelFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const out: { key: string; path: string }[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else out.push({ key: `${prefix}${entry.name}`, path: full });
    }
  };
  walk(path, '');
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((f) => f.path);
}

export async function readChannel(
  path: string,
  contentType: ChannelContentType,
  target: string,
): Promise<TrainingData> {
  const files = channelFiles(path);
  if (files.length === 0) throw new AutoMLInputError(`${path}: the channel holds no object`, 'channel');
  if (contentType === AUTOML_PARQUET) return trainingDataFromParquet(files, target, path);
  if (files.length > 1) {
    throw new AutoMLInputError(
      `${path}: ${files.length} CSV objects; the local AutoML reads one CSV object per channel`,
      'channel',
    );
  }
  const file = files[0] ?? path;
  return trainingDataFromCsv(readFileSync(file, 'utf8'), target, file);
}
