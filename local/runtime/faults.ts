/**
 * Fault injection for tests and demos. Faults live in the local adapters, never in the ASL: the state
 * machine under test is the one that deploys.
 */
export const FAULTS = {
  'automl-failed': 'DescribeAutoMLJobV2 reports the job Failed',
  'transform-failed': 'every batch transform job fails',
  'deploy-5xx': 'the new fleet of a blue/green update answers 5xx, so the canary alarm rolls it back',
  'approval-timeout': 'AwaitApproval times out (States.Timeout) instead of waiting',
  'export-failed': 'the Athena export query fails',
} as const;

export type FaultName = keyof typeof FAULTS;

export class UnknownFaultError extends Error {
  constructor(name: string) {
    super(`Unknown fault "${name}"; known: ${Object.keys(FAULTS).join(', ')}`);
    this.name = 'UnknownFaultError';
  }
}

export function parseFaults(names: readonly string[]): ReadonlySet<FaultName> {
  for (const name of names) if (!(name in FAULTS)) throw new UnknownFaultError(name);
  return new Set(names as FaultName[]);
}
