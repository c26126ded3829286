import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { assertLambdaEnvironmentSize, LambdaEnvironmentTooLargeError } from '../../infra/stacks/lambda-environment';
import { synthesizeChecked } from '../../infra/synth';

/** Lambda refuses environments over 4 KB at deploy: synth refuses them first, naming the largest variable. */
describe('Lambda environment size', () => {
  it('accepts 4096 bytes of keys and values and refuses one more, naming the largest variable', () => {
    expect(() => assertLambdaEnvironmentSize('Fn', { A: 'x'.repeat(4095) })).not.toThrow();
    expect(() => assertLambdaEnvironmentSize('Fn', { A: 'x'.repeat(4095), B: '' })).toThrow(
      expect.objectContaining({ name: 'LambdaEnvironmentTooLargeError', largest: 'A', bytes: 4097 }),
    );
    expect(() => assertLambdaEnvironmentSize('Fn', {})).not.toThrow();
  });

  it('cdk synth refuses a signal set too large for the inference Lambda’s environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'occupancy-env-size-'));
    try {
      const signals = Array.from({ length: 60 }, (_, i) => ({
        name: `sensor_${String.fromCharCode(97 + (i % 26))}_${String.fromCharCode(97 + Math.floor(i / 26))}`,
        kind: 'numeric',
        unit: 'a unit with a rather long description',
        min: 0,
        max: 100,
      }));
      const file = join(dir, 'big.json');
      writeFileSync(file, JSON.stringify({ id: 'big-fleet', description: 'x'.repeat(200), signals }));
      const app = new App({ outdir: join(dir, 'out'), context: { signalSet: relative(process.cwd(), file) } });
      expect(() => synthesizeChecked(app)).toThrow(LambdaEnvironmentTooLargeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
