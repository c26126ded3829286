/** AthenaLakeQuery's client, answered by the local runtime's Athena stand-in (DuckDB over the lake, CSV results). */
export { standInAthena as standInClient } from '../../local/runtime/evidence';

/** Every JSON line written to stdout and stderr while `fn` runs (EMF documents and Powertools log lines). */
export async function captureOutput(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(keep);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    await fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
