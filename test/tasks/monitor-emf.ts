/** EMF documents Powertools writes to stdout while `fn` runs (stderr logs kept out of the test output). */
export async function captureEmf(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await fn();
  } finally {
    spy.mockRestore();
    quiet.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface EmfMetric {
  readonly name: string;
  readonly value: unknown;
  readonly dimensions: Record<string, unknown>;
  readonly modelVersion: unknown;
}

/** Each metric of each document, with the dimension values it was published with. */
export function emfMetrics(docs: readonly Record<string, unknown>[]): EmfMetric[] {
  return docs.flatMap((doc) => {
    const aws = doc._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    return aws.CloudWatchMetrics.flatMap((d) =>
      d.Metrics.map((m) => ({
        name: m.Name,
        value: doc[m.Name],
        dimensions: Object.fromEntries((d.Dimensions[0] ?? []).map((k) => [k, doc[k]])),
        modelVersion: doc.modelVersion,
      })),
    );
  });
}
