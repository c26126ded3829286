import { DEFAULT_PIPELINE_CONFIG, PipelineConfigError, parsePipelineConfig } from '../../pipeline/config';

describe('parsePipelineConfig', () => {
  it('fills documented defaults', () => {
    const config = parsePipelineConfig({});
    expect(config.schedule.expression).toBe('rate(1 day)');
    expect(config.signalSetId).toBe('thermostat');
    expect(config.split).toEqual({ train: 0.7, validation: 0.15, holdout: 0.15, minPositives: 50, minNegatives: 50 });
    expect(config.gate.margin).toBe(0.01);
    expect(config.approvalTimeoutSeconds).toBe(72 * 3600);
    expect(config.trainingWindowDays).toBe(30);
    expect(config.autoML.objective).toBe('F1');
    expect(config.instances.endpoint).toBe('m5.large');
    expect(DEFAULT_PIPELINE_CONFIG).toEqual(config);
  });

  it('keeps overrides and defaults the rest of a nested object', () => {
    const config = parsePipelineConfig({ canary: { sizePercent: 25 } });
    expect(config.canary.sizePercent).toBe(25);
    expect(config.canary.waitIntervalSeconds).toBe(600);
  });

  it.each([
    [{ canary: { sizePercent: 0 } }, 'canary.sizePercent'],
    [{ split: { train: 0.8, validation: 0.15, holdout: 0.15 } }, 'split.holdout'],
    [{ instances: { endpoint: 'ml.m5.large' } }, 'instances.endpoint'],
    [{ schedule: { expression: 'daily' } }, 'schedule.expression'],
    [
      { autoML: { maxRuntimePerTrainingJobSeconds: 9000, maxJobRuntimeSeconds: 3600 } },
      'autoML.maxRuntimePerTrainingJobSeconds',
    ],
    [{ dataSource: 'iot-analytics' }, '(root)'],
    [{ endpointName: 'bad_name!' }, 'endpointName'],
    [{ gate: { margin: 'high' } }, 'gate.margin'],
    [{ unknownKey: 1 }, '(root)'],
    [{ trainingWindowDays: -1 }, 'trainingWindowDays'],
    [{ trainingWindowDays: 7.5 }, 'trainingWindowDays'],
    [{ trainingWindowDays: 3651 }, 'trainingWindowDays'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => parsePipelineConfig(input)).toThrow(PipelineConfigError);
    try {
      parsePipelineConfig(input);
    } catch (error) {
      expect((error as PipelineConfigError).field).toBe(field);
      expect((error as PipelineConfigError).message).toContain(field);
    }
  });
});
