import { FaultOptionsError, type PlannedFault, parseFaultScenario, planFaults } from '../../telemetry/faults';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START, roomThingName } from '../../telemetry/simulator';
import { UsageError } from '../args';

/** `--fault <kind>:<thing>[@<ISO time>]` (repeatable): the faults planned for this fleet, or a UsageError naming the flag. */
export function faultFlags(
  values: readonly string[],
  rooms: number,
  days: number | undefined,
  signalSet: SignalSet = THERMOSTAT,
  start: number = DEFAULT_SIM_START,
): PlannedFault[] {
  try {
    const things = Array.from({ length: rooms }, (_, i) => roomThingName(i));
    const end = days === undefined ? undefined : start + days * 86_400_000;
    return planFaults(values.map(parseFaultScenario), { things, signalSet, start, ...(end !== undefined && { end }) });
  } catch (error) {
    if (error instanceof FaultOptionsError) throw new UsageError(`--${error.message}`, { cause: error });
    throw error;
  }
}
