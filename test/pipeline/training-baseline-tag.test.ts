import { TRAINING_BASELINE_TAG } from '../../monitoring/baseline-location';
import { flattenStates } from '../../pipeline/render-asl';
import { trainingBaselineUri } from '../../tasks/training-baseline-writer';
import { synthRetraining } from './fixture';
import { runLocally } from './local-run';

/**
 * The candidate model names its training baseline (issue 21 item 1 on AWS): CreateCandidateModel tags it with the
 * URI Evaluate writes the baseline to, so the monitor finds it from the model (tasks/monitor-baselines.ts).
 */

const { asl } = synthRetraining({});

describe('CreateCandidateModel training-baseline tag', () => {
  it('is in the synthesized request, next to the execution tag', () => {
    const params = flattenStates(asl).CreateCandidateModel?.Parameters as { Tags?: Record<string, unknown>[] };
    expect(params.Tags?.map((t) => t.Key)).toEqual(['occupancy:execution', TRAINING_BASELINE_TAG]);
  });

  it("points where Evaluate writes the run's baseline", async () => {
    const seen: { tags?: { Key: string; Value: string }[]; evaluationPrefix?: string } = {};
    await runLocally(
      asl,
      { promote: true },
      {
        overrides: {
          CreateCandidateModel: async (input) => {
            seen.tags = input.Tags as { Key: string; Value: string }[];
            return {};
          },
          Evaluate: async (input) => {
            seen.evaluationPrefix = String(
              (input as { Payload?: { evaluationPrefix?: string } }).Payload?.evaluationPrefix ??
                input.evaluationPrefix,
            );
            return {
              promote: false,
              decision: 'keep',
              reasons: [],
              summary: 'kept',
              metricData: [],
              customerMetadata: {},
            };
          },
        },
      },
    );
    const tag = seen.tags?.find((t) => t.Key === TRAINING_BASELINE_TAG);
    expect(tag?.Value).toMatch(/^s3:\/\/[^/]+\/runs\/run-1\/training-baseline\.json$/);
    expect(seen.evaluationPrefix).toBeDefined();
    expect(trainingBaselineUri(seen.evaluationPrefix ?? '')).toBe(tag?.Value);
  });
});
