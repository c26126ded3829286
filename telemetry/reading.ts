/**
 * The validated, in-memory shape of telemetry and ground truth. Parsing and validation of untrusted
 * input into these shapes lives in `telemetry/validate.ts`.
 */

/** One report from one device. `values` holds every signal of the lake's signal set, keyed by signal name. */
export interface Reading {
  readonly thingName: string;
  /** Measurement time, epoch milliseconds UTC. */
  readonly ts: number;
  readonly values: Readonly<Record<string, number | string>>;
}

/** Ground truth (PIR, booking, a person labelling): in force from `ts` until the device's next label event. */
export interface LabelEvent {
  readonly thingName: string;
  readonly ts: number;
  readonly occupied: boolean;
}
