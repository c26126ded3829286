import { buildFeatureSpec, FeatureSpecError, featureNames, historyLength } from '../../features';
import { type SignalSet, THERMOSTAT, UCI_OCCUPANCY } from '../../telemetry/signals';

describe('buildFeatureSpec', () => {
  test('thermostat features in their stable order, raw features named exactly as the signals', () => {
    expect(featureNames(buildFeatureSpec(THERMOSTAT))).toEqual([
      'temperature',
      'temperature_delta',
      'temperature_mean_5',
      'temperature_std_5',
      'humidity',
      'humidity_delta',
      'humidity_mean_5',
      'humidity_std_5',
      'sound',
      'sound_delta',
      'sound_mean_5',
      'sound_std_5',
      'sound_secs_since_cross',
      'hvac_status_is_off',
      'hvac_status_is_heating',
      'hvac_status_is_cooling',
      'hvac_status_is_fan',
      'hour_sin',
      'hour_cos',
      'weekday_sin',
      'weekday_cos',
    ]);
  });

  test('options choose the window and the kinds of features', () => {
    const spec = buildFeatureSpec(UCI_OCCUPANCY, {
      rollingWindow: 10,
      include: { raw: true, delta: false, rolling: true, crossing: true, oneHot: true, time: false },
    });
    expect(featureNames(spec)).toEqual([
      'temperature',
      'temperature_mean_10',
      'temperature_std_10',
      'humidity',
      'humidity_mean_10',
      'humidity_std_10',
      'light',
      'light_mean_10',
      'light_std_10',
      'light_secs_since_cross',
      'co2',
      'co2_mean_10',
      'co2_std_10',
      'humidity_ratio',
      'humidity_ratio_mean_10',
      'humidity_ratio_std_10',
    ]);
    expect(historyLength(spec)).toBe(9);
    expect(historyLength(buildFeatureSpec(UCI_OCCUPANCY, { rollingWindow: 1 }))).toBe(1);
  });

  test.each([0, -1, 2.5, Number.NaN, 1001])('rejects rollingWindow %p naming the field', (rollingWindow) => {
    expect(() => buildFeatureSpec(THERMOSTAT, { rollingWindow })).toThrow(
      expect.objectContaining({ name: 'FeatureSpecError', field: 'rollingWindow' }),
    );
  });

  const withSignals = (signals: SignalSet['signals']): SignalSet => ({ id: 'x', description: 'x', signals });

  test('rejects signal names that are not safe column names', () => {
    for (const name of ['Sound', 'sound level', 'x"; DROP', '_hidden', '1st']) {
      expect(() => buildFeatureSpec(withSignals([{ name, kind: 'numeric', unit: '', min: 0, max: 1 }]))).toThrow(
        FeatureSpecError,
      );
    }
  });

  test('rejects enum values whose one-hot column would not be a safe name, and name clashes', () => {
    expect(() => buildFeatureSpec(withSignals([{ name: 'mode', kind: 'enum', values: ['A-B'] }]))).toThrow(
      expect.objectContaining({ field: 'one-hot feature of mode' }),
    );
    const clash = withSignals([
      { name: 'a', kind: 'numeric', unit: '', min: 0, max: 1 },
      { name: 'a_delta', kind: 'numeric', unit: '', min: 0, max: 1 },
    ]);
    expect(() =>
      buildFeatureSpec(clash, {
        include: { raw: true, delta: true, rolling: false, crossing: false, oneHot: false, time: false },
      }),
    ).toThrow(expect.objectContaining({ field: 'a_delta' }));
    expect(() =>
      buildFeatureSpec(withSignals([{ name: 'occupied', kind: 'numeric', unit: '', min: 0, max: 1 }])),
    ).toThrow(expect.objectContaining({ field: 'occupied' }));
  });
});
