import { loadLocalConfig } from '../../local/local-config';
import type { FaultName } from '../../local/runtime/faults';
import { LocalStack } from '../../local/runtime/local-stack';
import { type SynthesizedPipeline, synthesizePipeline } from '../../local/runtime/synth';

/**
 * One of the two processes of concurrent-runs.test.ts, doing what `occupancy run` does (a LocalStack on a state
 * folder, one execution) with a barrier before the start: `{ stateDir, faults? }` opens the stack and answers `ready`; `go`
 * (sent to both children in the same tick) starts the execution; the finished record is sent back.
 */

let pipeline: SynthesizedPipeline | undefined;
let stack: LocalStack | undefined;

process.on('message', async (message: { stateDir?: string; faults?: FaultName[]; go?: boolean; exit?: boolean }) => {
  try {
    if (message.stateDir) {
      const config = loadLocalConfig(message.stateDir);
      pipeline ??= synthesizePipeline(config);
      const faults = new Set(message.faults ?? []);
      stack = await LocalStack.start({ stateDir: message.stateDir, config, pipeline, faults, timeScale: 0.01 });
      process.send?.({ ready: true });
    } else if (message.go && stack) {
      const record = await stack.startExecution().done;
      await stack.close();
      stack = undefined;
      process.send?.({ record });
    } else if (message.exit) {
      process.disconnect?.();
    }
  } catch (error) {
    process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
process.send?.({ started: true });
