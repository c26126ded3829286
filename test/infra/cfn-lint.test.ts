import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { synthesizeChecked } from '../../infra/synth';

// Every synth variant the README documents, synthesized as `npx cdk synth -c …` does (infra/synth.ts: stacks,
// cdk-nag with reviewed findings, no stale entry), then linted by cfn-lint: no error (E*) in any template and
// no AWS IoT Analytics resource (end of support 2025-12-15; cfn-lint E3710 refuses the types).
const README_VARIANTS: Record<string, Record<string, string>> = {
  default: {},
  'notificationEmail (the README deploy command)': { notificationEmail: 'you@example.com' },
  'pipeline override (the README example)': {
    pipeline: '{"schedule":{"expression":"cron(0 3 * * ? *)"},"gate":{"margin":0.02},"canary":{"sizePercent":20}}',
  },
  'pipeline signalSetId of a set with no static rule (no fallback rule, no static-rule baseline)': {
    pipeline: '{"signalSetId":"uci-occupancy"}',
  },
  'iotDataEndpoint with an account and region': {
    iotDataEndpoint: 'https://a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
    account: '123456789012',
    region: 'eu-west-1',
  },
};

/** cfn-lint on PATH, else pyenv's shim (the machine image installs it with pip); CI must have it (.ci/run). */
function cfnLintBinary(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'cfn-lint')),
    '/root/.pyenv/shims/cfn-lint',
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(`cfn-lint not found on PATH or at /root/.pyenv/shims/cfn-lint: install it (see .ci/run)`);
}

interface LintMatch {
  readonly Level: string;
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
}

function lint(templates: readonly string[], region: string): LintMatch[] {
  const run = spawnSync(cfnLintBinary(), ['--format', 'json', '--regions', region, '--', ...templates], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw new Error(`cfn-lint did not run: ${run.error.message}`, { cause: run.error });
  // Exit status is a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a crash.
  if (run.status === 1 || run.stdout.trim() === '') {
    throw new Error(`cfn-lint failed (status ${run.status}): ${run.stderr.slice(0, 2000)}`);
  }
  return JSON.parse(run.stdout) as LintMatch[];
}

describe('cfn-lint on every documented synth variant', () => {
  it.each(Object.entries(README_VARIANTS))(
    '%s: no cfn-lint error, no IoT Analytics',
    (_name, context) => {
      const outdir = mkdtempSync(join(tmpdir(), 'occupancy-cfn-lint-'));
      try {
        const assembly = synthesizeChecked(new App({ outdir, context }));
        const templates = assembly.stacks.map((stack) => stack.templateFullPath);
        expect(templates).toHaveLength(4);
        for (const file of templates) {
          const text = readFileSync(file, 'utf8');
          expect(text).not.toMatch(/AWS::IoTAnalytics::/);
          expect(text).not.toMatch(/iotanalytics:/i);
        }
        const errors = lint(templates, context.region ?? 'us-east-1').filter((m) => m.Level === 'Error');
        expect(errors.map((m) => `${m.Rule.Id} ${m.Filename}: ${m.Message}`)).toEqual([]);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
