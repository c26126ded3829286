import { rmSync } from 'node:fs';
import { standInSageMaker } from '../../local/runtime/evidence';
import type { LocalStack } from '../../local/runtime/local-stack';
import { parseTrainingBaseline } from '../../monitoring/baseline';
import { TRAINING_BASELINE_TAG } from '../../monitoring/baseline-location';
import { servingBaselines } from '../../tasks/monitor-baselines';
import { answerApproval, freshStateDir, outcomeOf, startStack } from './helpers';

/**
 * The AWS path of the training baseline, on the embedded runtime (issue 21 item 1): the synthesized state machine
 * tags the model it creates with the baseline Evaluate wrote, and the monitor finds it from the serving endpoint.
 */
jest.setTimeout(240_000);

describe('a pipeline-created model names its training baseline', () => {
  let dir: string | undefined;
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ends a deployed run with a model whose tag points to the baseline file, which the monitor reads', async () => {
    dir = freshStateDir();
    stack = await startStack(dir);
    const execution = stack.startExecution();
    answerApproval(stack, execution.name, 'approve');
    expect(outcomeOf(await execution.done)).toBe('deployed');

    const endpoint = stack.hosting.describeEndpoint({ EndpointName: 'occupancy' });
    const config = stack.hosting.describeEndpointConfig({ EndpointConfigName: endpoint.EndpointConfigName });
    const modelName = config.ProductionVariants?.[0]?.ModelName;
    const model = stack.hosting.describeModel({ ModelName: modelName });
    const tag = stack.hosting
      .listTags({ ResourceArn: model.ModelArn })
      .Tags?.find((t) => t.Key === TRAINING_BASELINE_TAG);
    expect(tag?.Value).toMatch(new RegExp(`^s3://[^/]+/runs/${execution.name}/training-baseline\\.json$`));
    const baseline = parseTrainingBaseline(JSON.parse(await stack.store.getText(tag?.Value ?? '')));
    expect(Object.keys(baseline.features).length).toBeGreaterThan(0);
    for (const feature of Object.values(baseline.features)) {
      expect(feature.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }

    const warnings: unknown[] = [];
    const found = await servingBaselines(
      { sagemaker: standInSageMaker(stack.hosting), store: stack.store, logger: { warn: (...a) => warnings.push(a) } },
      'occupancy',
    );
    expect(found.get(`occupancy/${config.ProductionVariants?.[0]?.VariantName}`)).toEqual(baseline);
    expect(warnings).toEqual([]);
  });
});
