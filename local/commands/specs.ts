import type { CommandSpec, FlagSpec } from '../args';
import { JSON_FLAG, SIGNAL_SET_FLAG, STATE_DIR_FLAG } from '../args';
import { DEFAULT_MAX_SHADOWS, DEFAULT_SHADOW_IDLE_MS } from '../iot/shadow-service';
import { FAULTS } from '../runtime/faults';

/**
 * Every command's flags: the single declaration each command parses with and `--help` prints. Kept free of heavy
 * imports (DuckDB, CDK, the console) so `occupancy <command> --help` answers at once.
 */

const INJECT_FAULT = {
  'inject-fault': {
    type: 'string',
    multiple: true,
    placeholder: 'NAME',
    description: `make a local part fail on purpose: ${Object.keys(FAULTS).join(', ')}`,
  },
} as const satisfies Record<string, FlagSpec>;

const AUTO_APPROVE = {
  'auto-approve': { type: 'boolean', description: 'approve the candidate as soon as it waits (no person asked)' },
} as const satisfies Record<string, FlagSpec>;

export const START = {
  name: 'start',
  summary:
    'The local stack (what `npm start` runs): simulates a fleet into an empty lake, runs one retraining execution ' +
    '(it waits for approval at the printed link), then serves live inference and retrains on the schedule.',
  flags: {
    ...STATE_DIR_FLAG,
    ...SIGNAL_SET_FLAG,
    rooms: { type: 'string', default: '10', placeholder: 'N', description: 'rooms to simulate when the lake is empty' },
    days: { type: 'string', default: '14', placeholder: 'D', description: 'days to simulate when the lake is empty' },
    port: { type: 'string', default: '8765', placeholder: 'PORT', description: 'console port, 0 for any free one' },
    'mqtt-port': {
      type: 'string',
      default: '1883',
      placeholder: 'PORT',
      description: 'MQTT broker port for live inference, 0 for any free one',
    },
    ...AUTO_APPROVE,
    once: { type: 'boolean', description: 'run one execution, print its summary and exit (no serving)' },
    ...JSON_FLAG,
    ...INJECT_FAULT,
  },
} as const satisfies CommandSpec;

export const RUN = {
  name: 'run',
  summary: 'Run one retraining execution locally and print its outcome (exit 1 when the execution fails).',
  flags: { ...STATE_DIR_FLAG, ...SIGNAL_SET_FLAG, ...AUTO_APPROVE, ...JSON_FLAG, ...INJECT_FAULT },
} as const satisfies CommandSpec;

export const SIMULATE = {
  name: 'simulate',
  summary: 'Simulate a fleet of rooms into the lake (add --live to stream readings over MQTT instead).',
  flags: {
    ...STATE_DIR_FLAG,
    ...SIGNAL_SET_FLAG,
    rooms: { type: 'string', default: '10', placeholder: 'N', description: 'rooms (devices) to simulate' },
    days: { type: 'string', default: '14', placeholder: 'D', description: 'days of one-minute readings' },
    seed: { type: 'string', default: '1', placeholder: 'S', description: 'random seed (same seed, same fleet)' },
    drift: {
      type: 'string',
      placeholder: 'SCENARIO',
      description:
        'the world changes once, just before the default holdout: calibration-offset, season, usage, lighting, ' +
        'sensor-failure (telemetry/drift.ts)',
      defaultText: 'none',
    },
    fault: {
      type: 'string',
      multiple: true,
      placeholder: 'KIND:THING[@TIME]',
      description:
        "a device misbehaves from TIME (ISO 8601 with a zone) on: stuck (the static rule's signal, else the first " +
        'numeric one, holds its value), silent (no readings), out-of-range / malformed (every other reading refused: ' +
        'written as sensor_faults rows, not telemetry); e.g. stuck:room-02 (telemetry/faults.ts)',
      defaultText: 'none; TIME: 6 h before the end of the period',
    },
    live: {
      type: 'boolean',
      description: 'stream live readings to a running broker instead (`simulate --live --help`)',
    },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;

export const SIMULATE_LIVE = {
  name: 'simulate --live',
  summary:
    'A fleet of MQTT thermostats reporting to a running `occupancy serve` (or `npm start`) until --duration or ' +
    'Ctrl-C, then a summary: answers, their sources, report → answer latency.',
  flags: {
    ...STATE_DIR_FLAG,
    live: { type: 'boolean', default: true, description: 'live mode (this table)' },
    fault: {
      type: 'string',
      multiple: true,
      placeholder: 'KIND:THING[@TIME]',
      description:
        'a device misbehaves from TIME on (as in batch mode): silent stops publishing, stuck / out-of-range / ' +
        'malformed publish their values for real, so the rules and the inference Lambda handle them',
      defaultText: 'none; TIME: at once',
    },
    rooms: { type: 'string', default: '20', placeholder: 'N', description: 'devices reporting' },
    rate: { type: 'string', default: '1', placeholder: 'R', description: 'reports per second per room, in (0, 1000]' },
    seed: { type: 'string', default: '1', placeholder: 'S', description: 'random seed' },
    duration: { type: 'string', placeholder: 'SECONDS', description: 'stop after this long', defaultText: 'Ctrl-C' },
    broker: {
      type: 'string',
      placeholder: 'URL',
      description: 'MQTT broker, e.g. mqtt://127.0.0.1:1883',
      defaultText: 'the one `occupancy serve` wrote to <state-dir>/iot/serve.json',
    },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;

export const SERVE = {
  name: 'serve',
  summary:
    'Serve live inference until Ctrl-C: MQTT broker, device shadows, the inference rule and handler, the IoT data ' +
    'plane and the endpoint host (what the pipeline deployed, or --model).',
  flags: {
    ...STATE_DIR_FLAG,
    'mqtt-port': {
      type: 'string',
      default: '1883',
      placeholder: 'PORT',
      description: 'MQTT broker port, 0 for any free one',
    },
    'endpoint-port': {
      type: 'string',
      default: '0',
      placeholder: 'PORT',
      description: 'endpoint host (InvokeEndpoint) port, 0 for any free one',
    },
    'data-plane-port': {
      type: 'string',
      default: '0',
      placeholder: 'PORT',
      description: 'IoT data plane port, 0 for any free one',
    },
    model: {
      type: 'string',
      placeholder: 'FILE',
      description: 'serve this AutoML artifact instead',
      defaultText: 'what the pipeline deployed',
    },
    'invoke-timeout-ms': {
      type: 'string',
      placeholder: 'MS',
      description: "the handler's InvokeEndpoint timeout, in [10, 60000]",
      defaultText: "the handler's, 300",
    },
    'max-devices': {
      type: 'string',
      default: String(DEFAULT_MAX_SHADOWS),
      placeholder: 'N',
      description: 'devices whose state is kept (the least recent is evicted)',
    },
    'device-idle-minutes': {
      type: 'string',
      default: String(DEFAULT_SHADOW_IDLE_MS / 60_000),
      placeholder: 'M',
      description: 'forget a device silent this long',
    },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;

export const IMPORT_FORMATS = ['uci-occupancy', 'uci-room-occupancy', 'ndjson', 'iot-analytics-csv', 'csv'] as const;

export const IMPORT = {
  name: 'import',
  summary: 'Import a telemetry file into the lake, streamed and all-or-nothing.',
  positionals: '<file>',
  flags: {
    ...STATE_DIR_FLAG,
    format: { type: 'string', placeholder: 'FORMAT', description: `required: ${IMPORT_FORMATS.join(', ')}` },
    ...SIGNAL_SET_FLAG,
    'thing-name': {
      type: 'string',
      placeholder: 'NAME',
      description: 'device name for files without one',
      defaultText: 'per format',
    },
    timestamp: { type: 'string', placeholder: 'COL', description: '--format csv: the time column' },
    target: { type: 'string', placeholder: 'COL', description: '--format csv: the occupancy label column' },
    device: {
      type: 'string',
      placeholder: 'COL',
      description: '--format csv: the device column',
      defaultText: 'one device',
    },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;

export const BASELINE = {
  name: 'baseline',
  summary: 'Export the lake and print every threshold baseline scored on the holdout.',
  flags: {
    ...STATE_DIR_FLAG,
    out: {
      type: 'string',
      placeholder: 'DIR',
      description: 'where the export goes',
      defaultText: '<state-dir>/exports/baseline',
    },
    'training-window-days': {
      type: 'string',
      placeholder: 'D',
      description: 'days exported, up to the newest labelled day; 0 = all history',
      defaultText: 'trainingWindowDays of config.json, else 30',
    },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;

export const HEALTH = {
  name: 'health',
  summary: 'Run the sensor health check once (the synthesized check, its alarms and notifier) and print the report.',
  flags: {
    ...STATE_DIR_FLAG,
    at: {
      type: 'string',
      placeholder: 'TIME|newest',
      description:
        "the check's now: an ISO time with its zone, or `newest` for the lake's newest reading (a simulated or imported history)",
      defaultText: 'now',
    },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;

export const STATUS = {
  name: 'status',
  summary: 'List runs (newest first) and pending approvals; lists state files it cannot read.',
  flags: {
    ...STATE_DIR_FLAG,
    limit: { type: 'string', default: '20', placeholder: 'N', description: 'runs listed' },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;

const decision = (name: 'approve' | 'reject') =>
  ({
    name,
    summary: `${name === 'approve' ? 'Approve' : 'Reject'} the candidate of a run waiting for approval.`,
    positionals: '<run>',
    flags: {
      ...STATE_DIR_FLAG,
      by: {
        type: 'string',
        placeholder: 'NAME',
        description: 'who decides, as recorded',
        defaultText: 'your user name',
      },
      ...JSON_FLAG,
    },
  }) as const satisfies CommandSpec;

export const APPROVE = decision('approve');
export const REJECT = decision('reject');

export const REPORT = {
  name: 'report',
  summary: "A run's page as one self-contained HTML file that opens without a server.",
  positionals: '<run>',
  flags: {
    ...STATE_DIR_FLAG,
    out: { type: 'string', placeholder: 'FILE', description: 'the HTML file written', defaultText: '<run>.html' },
  },
} as const satisfies CommandSpec;

/** automl/cli.ts parses these itself (it predates this table); kept in step by test/local/cli-help.test.ts. */
export const AUTOML = {
  name: 'automl',
  summary: 'Train with the local AutoML engine on a CSV and print the leaderboard.',
  flags: {
    train: { type: 'string', placeholder: 'CSV', description: 'required: training data' },
    target: { type: 'string', placeholder: 'COL', description: 'required: the label column' },
    validation: { type: 'string', placeholder: 'CSV', description: 'validation data', defaultText: 'folds of --train' },
    holdout: { type: 'string', placeholder: 'CSV', description: 'scored once with the best candidate' },
    objective: {
      type: 'string',
      placeholder: 'NAME',
      description: 'F1, Accuracy, BalancedAccuracy, AUC, Precision or Recall',
      defaultText: 'F1',
    },
    'max-candidates': { type: 'string', placeholder: 'N', description: 'candidates tried', defaultText: '12' },
    'max-seconds': { type: 'string', placeholder: 'S', description: 'job time budget', defaultText: 'none' },
    'pool-size': {
      type: 'string',
      placeholder: 'N',
      description: 'worker threads training candidates (same leaderboard for any size)',
      defaultText: 'the cores',
    },
    out: { type: 'string', placeholder: 'FILE', description: 'copy the best artifact here' },
    'work-dir': { type: 'string', placeholder: 'DIR', description: 'job folder', defaultText: '.occupancy/automl' },
    seed: { type: 'string', placeholder: 'N', description: 'random seed', defaultText: '1' },
    ...JSON_FLAG,
  },
} as const satisfies CommandSpec;
