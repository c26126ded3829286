import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadInfraConfig } from '../../infra/config';
import { buildStacks } from '../../infra/stacks';
import { renderStateMachineAsl } from '../../pipeline/render-asl';

/**
 * The static rule on AWS follows the signal set given as context (`-c pipeline='{"signalSetId":…}'`): the set's
 * own rule by default, none when it has none. With none the stacks still synthesize: the inference Lambda gets no
 * fallback rule and Evaluate no static rule.
 */
function synth(pipeline: Record<string, unknown>) {
  // Bundling skipped: only the templates are read.
  const app = new App({ context: { pipeline, 'aws:cdk:bundling-stacks': [] } });
  const config = loadInfraConfig(app);
  const stacks = buildStacks(app, config);
  const serving = Template.fromStack(stacks.serving);
  const asl = renderStateMachineAsl(Template.fromStack(stacks.pipeline).toJSON(), {
    region: 'us-east-1',
    account: '123456789012',
  }) as { States: Record<string, { Parameters?: Record<string, unknown> }> };
  return { config, serving, evaluate: asl.States.Evaluate?.Parameters };
}

const inferenceFunction = (variables: unknown) =>
  Match.objectLike({ Description: Match.stringLikeRegexp('inference|Shadow'), Environment: { Variables: variables } });

describe('the static rule follows the signal set on AWS', () => {
  it('a signal set with no rule (uci-occupancy): no fallback rule for the inference Lambda, no static rule for Evaluate', () => {
    const { config, serving, evaluate } = synth({ signalSetId: 'uci-occupancy' });
    expect(config.pipeline.staticRule).toBeNull();
    serving.hasResourceProperties(
      'AWS::Lambda::Function',
      inferenceFunction(
        Match.objectLike({
          SIGNAL_SET_ID: 'uci-occupancy',
          FALLBACK_SIGNAL: Match.absent(),
          FALLBACK_LEVEL: Match.absent(),
        }),
      ),
    );
    expect(evaluate).toMatchObject({ signalSetId: 'uci-occupancy' });
    expect(evaluate).not.toHaveProperty('staticRule');
  });

  it('the thermostat keeps its own rule sound > 10; an explicit rule wins', () => {
    const thermostat = synth({});
    thermostat.serving.hasResourceProperties(
      'AWS::Lambda::Function',
      inferenceFunction(
        Match.objectLike({ SIGNAL_SET_ID: 'thermostat', FALLBACK_SIGNAL: 'sound', FALLBACK_LEVEL: '10' }),
      ),
    );
    expect(thermostat.evaluate).toMatchObject({ staticRule: { signal: 'sound', level: 10 } });
    const light = synth({ signalSetId: 'uci-occupancy', staticRule: { signal: 'light', level: 365 } });
    light.serving.hasResourceProperties(
      'AWS::Lambda::Function',
      inferenceFunction(Match.objectLike({ FALLBACK_SIGNAL: 'light', FALLBACK_LEVEL: '365' })),
    );
    expect(light.evaluate).toMatchObject({ staticRule: { signal: 'light', level: 365 } });
  });
});
