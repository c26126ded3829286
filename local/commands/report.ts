import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AutoMLJobRunner } from '../../automl/job';
import { FileApprovalStore } from '../adapters/approvals';
import { FolderObjectStore } from '../adapters/s3';
import { parseCommand, progress, UsageError } from '../args';
import { pageHtml } from '../console/assets';
import { RunViews } from '../console/data';
import { loadLocalConfig } from '../local-config';
import { ExecutionStore } from '../runtime/executions';
import { type SynthesizedPipeline, synthesizePipeline } from '../runtime/synth';
import { REPORT } from './specs';

/**
 * `occupancy report <run> --out file.html`: the console's run page as one self-contained HTML file (uPlot, styles
 * and the run's data inlined) that opens from disk with no server and no network.
 */

export async function buildRunReport(
  stateDir: string,
  run: string,
  options: { pipeline?: SynthesizedPipeline } = {},
): Promise<string> {
  // Read-only: no executions/ folder means no run, and looking must not create one.
  if (!existsSync(join(stateDir, 'executions'))) {
    throw new UsageError(
      `no run "${run}" in ${resolve(stateDir)} (\`npx occupancy status --state-dir ${stateDir}\` lists runs)`,
    );
  }
  const executions = new ExecutionStore(stateDir);
  let record: ReturnType<ExecutionStore['get']>;
  try {
    record = executions.get(run);
  } catch (error) {
    throw new UsageError(`"${run}" is not a run name`, { cause: error });
  }
  if (!record)
    throw new UsageError(
      `no run "${run}" in ${resolve(stateDir)} (\`npx occupancy status --state-dir ${stateDir}\` lists runs)`,
    );
  const pipeline = options.pipeline ?? synthesizePipeline(loadLocalConfig(stateDir));
  const views = new RunViews({
    executions,
    store: new FolderObjectStore(stateDir),
    approvals: new FileApprovalStore(stateDir),
    definition: pipeline.definition,
    // The leaderboard, when the run's AutoML work folder is there (the runner would create it otherwise).
    ...(existsSync(join(stateDir, 'automl'))
      ? { automl: new AutoMLJobRunner({ workDir: join(stateDir, 'automl') }) }
      : {}),
  });
  const view = await views.get(run);
  return pageHtml(`occupancy report: ${run}`, { mode: 'static', page: 'run', run, data: view });
}

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, REPORT);
  const run = positionals[0];
  if (!run)
    throw new UsageError(
      'name the run: npx occupancy report <run> --out report.html (`npx occupancy status` lists runs)',
    );
  const out = values.out ?? `${run}.html`;
  progress('synthesizing the retraining state machine (CDK) for the state graph…');
  const html = await buildRunReport(values['state-dir'], run);
  writeFileSync(out, html);
  process.stdout.write(`${resolve(out)}\n`);
  return 0;
}
