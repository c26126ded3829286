import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../local/cli';
import { DEFAULT_PIPELINE_CONFIG, PipelineConfigError, parsePipelineConfig } from '../../pipeline/config';

/**
 * Issue 14, defect 4: SageMaker requires the canary to be at most 50 % of the new fleet's capacity
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-canary.html), so a
 * canary on a one-instance fleet can never deploy.
 */

const IMPOSSIBLE = { canary: { sizePercent: 10 }, instances: { endpointCount: 1 } };

describe('canary size against the endpoint fleet', () => {
  it('refuses a canary on a one-instance fleet, naming both fields', () => {
    expect(() => parsePipelineConfig(IMPOSSIBLE)).toThrow(PipelineConfigError);
    try {
      parsePipelineConfig(IMPOSSIBLE);
    } catch (error) {
      const fields = (error as PipelineConfigError).issues.map((i) => i.field);
      expect(fields).toEqual(expect.arrayContaining(['canary.sizePercent', 'instances.endpointCount']));
      expect((error as Error).message).toMatch(/canary\.sizePercent[\s\S]*instances\.endpointCount/);
    }
  });

  it.each([
    [{ sizePercent: 60 }, { endpointCount: 4 }],
    [{ sizePercent: 34 }, { endpointCount: 3 }], // ceil(1.02) = 2 instances of 3
  ])('refuses canary %j on %j (more than half the fleet once rounded up to whole instances)', (canary, instances) => {
    expect(() => parsePipelineConfig({ canary, instances })).toThrow(/canary\.sizePercent/);
  });

  it.each([
    [{ sizePercent: 50 }, { endpointCount: 2 }],
    [{ sizePercent: 10 }, { endpointCount: 2 }],
    [{ sizePercent: 33 }, { endpointCount: 3 }],
    [{ sizePercent: 50 }, { endpointCount: 10 }],
  ])('accepts canary %j on %j', (canary, instances) => {
    expect(parsePipelineConfig({ canary, instances }).instances.endpointCount).toBe(instances.endpointCount);
  });

  it('the defaults are a combination SageMaker accepts', () => {
    const { canary, instances } = DEFAULT_PIPELINE_CONFIG;
    const canaryInstances = Math.max(1, Math.ceil((instances.endpointCount * canary.sizePercent) / 100));
    expect(canaryInstances * 2).toBeLessThanOrEqual(instances.endpointCount);
    expect(parsePipelineConfig({})).toEqual(DEFAULT_PIPELINE_CONFIG);
  });
});

describe('occupancy run with an impossible canary in config.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'h1-canary-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits non-zero before any state runs, naming both fields', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(IMPOSSIBLE));
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main(['run', '--auto-approve', '--state-dir', dir]);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
    expect(code).not.toBe(0);
    const text = written.join('');
    expect(text).toContain('canary.sizePercent');
    expect(text).toContain('instances.endpointCount');
    // Nothing ran: no execution was recorded and no lake was simulated.
    expect(readdirSync(dir).sort()).toEqual(['config.json']);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });
});
