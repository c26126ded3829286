import { DEFAULT_PIPELINE_CONFIG, PipelineConfigError, parsePipelineConfig } from '../../pipeline/config';

describe('monitoring config', () => {
  it('has documented defaults', () => {
    expect(DEFAULT_PIPELINE_CONFIG.monitoring).toEqual({
      schedule: { expression: 'rate(1 hour)', flexibleWindowMinutes: 5, timezone: 'UTC', enabled: true },
      windowMinutes: 360,
      consecutiveWindows: 3,
      psiThreshold: 0.25,
      pValueThreshold: 0.01,
      minLabelledReadings: 200,
      minReadings: 100,
      fallbackRateLimit: 0.05,
      retrainingCooldownMinutes: 1440,
    });
  });

  it.each([
    [{ windowMinutes: 1 }, 'monitoring.windowMinutes'],
    [{ pValueThreshold: 1 }, 'monitoring.pValueThreshold'],
    [{ fallbackRateLimit: 0 }, 'monitoring.fallbackRateLimit'],
    [{ consecutiveWindows: 0 }, 'monitoring.consecutiveWindows'],
    [{ schedule: { expression: 'every hour' } }, 'monitoring.schedule.expression'],
    [{ psiTreshold: 0.1 }, 'monitoring'],
  ])('refuses %j, naming %s', (monitoring, field) => {
    let error: unknown;
    try {
      parsePipelineConfig({ monitoring });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineConfigError);
    expect((error as PipelineConfigError).field).toBe(field);
  });
});
