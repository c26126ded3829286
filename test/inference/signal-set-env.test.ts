import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInferenceConfig } from '../../tasks/infer-occupancy/config';
import { InferenceConfigError } from '../../tasks/infer-occupancy/errors';

/** The inference Lambda's SIGNAL_SET environment: a user's set, validated once at cold start. */
const DOC = readFileSync(join(__dirname, '..', 'fixtures', 'signal-sets', 'co2-pir-sound.json'), 'utf8');

function configError(env: Record<string, string>): InferenceConfigError {
  try {
    parseInferenceConfig(env);
  } catch (error) {
    if (error instanceof InferenceConfigError) return error;
    throw error;
  }
  throw new Error('expected an InferenceConfigError');
}

describe('SIGNAL_SET', () => {
  it('carries the document, its id and its static rule as the fallback', () => {
    const config = parseInferenceConfig({ SIGNAL_SET: DOC, SIGNAL_SET_ID: 'co2-pir-sound' });
    expect(config.signalSetId).toBe('co2-pir-sound');
    expect(config.signalSet?.signals.map((s) => s.name)).toEqual(['co2', 'pir', 'sound_north', 'sound_south']);
    expect(config.fallback).toEqual({ signal: 'sound_north', level: 45 });
  });

  it('refuses an invalid document, naming SIGNAL_SET and the document field', () => {
    const bad = JSON.stringify({ ...JSON.parse(DOC), staticRule: { signal: 'nope', level: 1 } });
    const error = configError({ SIGNAL_SET: bad });
    expect(error.field).toBe('SIGNAL_SET');
    expect(error.message).toContain('staticRule.signal');
    expect(configError({ SIGNAL_SET: '{oops' }).field).toBe('SIGNAL_SET');
  });

  it('refuses a SIGNAL_SET_ID that is not the document’s id', () => {
    expect(configError({ SIGNAL_SET: DOC, SIGNAL_SET_ID: 'thermostat' }).field).toBe('SIGNAL_SET_ID');
  });

  it('without SIGNAL_SET, a built-in id still resolves as before', () => {
    const config = parseInferenceConfig({ SIGNAL_SET_ID: 'thermostat' });
    expect(config.signalSet).toBeUndefined();
    expect(config.fallback).toEqual({ signal: 'sound', level: 10 });
  });
});
