import { existsSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * The terminal side of `npm start` / `occupancy run` (not `--json`, whose stdout is unchanged): it takes the
 * runtime's progress lines and prints one line per phase. A polling loop (Wait → Describe → Wait …) becomes one
 * line that updates in place on a TTY and is printed once with its count and duration otherwise; AutoML prints a
 * line per finished candidate; a caught error on a lookup state reads as the expected condition it is; each link
 * is printed once; s3:// keys get their local path.
 */

export interface TerminalOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What the local AutoML exposes: the job list and each job's progress (automl/job.ts AutoMLJobRunner). */
export interface AutoMLProgressSource {
  listJobs(): string[];
  describe(name: string): {
    AutoMLJobStatus?: string;
    AutoMLJobSecondaryStatus?: string;
    CreationTime?: Date;
    Progress?: { CandidatesCompleted?: number; CandidatesTotal?: number; CurrentCandidate?: string };
  };
  /** The leaderboard so far, best first. */
  listCandidates?(name: string): {
    CandidateStatus?: string;
    FinalAutoMLJobObjectiveMetric?: { MetricName?: string; Value?: number };
  }[];
}

export interface TerminalOptions {
  readonly out: TerminalOut;
  readonly stateDir: string;
  /** The local file behind an s3:// URI (FolderObjectStore.pathOf). */
  readonly localPathOf?: (uri: string) => string;
  /** The local console, printed where the notification links to the AWS console. */
  readonly consoleUrl?: () => string | undefined;
  readonly automl?: AutoMLProgressSource;
  /** The endpoint's deployment in words (status, share of traffic on the new config), read while it is polled. */
  readonly endpoint?: () => string | undefined;
  /** How often AutoML progress is read while a job runs. @default 200 ms */
  readonly pollMs?: number;
}

/**
 * Caught errors that are expected conditions, by state: what they mean in plain words. A state not listed here
 * whose error is caught is still reported as handled, never as a failure.
 */
export const EXPECTED_CONDITIONS: Readonly<Record<string, string>> = {
  FindServingEndpoint: 'no endpoint yet: this run will create it',
  DescribeServingEndpoint: 'no endpoint yet: this run will create it',
  FindServingConfig: 'no model serving yet: the candidate is compared with the baselines only',
  FindEndpoint: 'no endpoint yet: this deploy creates it',
  DescribeEndpoint: 'no endpoint yet: this deploy creates it',
  GuardSingleRun: 'another run holds the single-run lock: checking whether it is still running',
  DescribeRunLockHolder: 'the run holding the lock is gone: its stale lock is released',
  ReleaseStaleRunLock: 'another run took the lock first: trying again',
  ReleaseRunLock: 'the run lock was already released',
  CreateCandidateModel: 'the model exists already (a retried run): checking it is the same',
  CreateEndpointConfig: 'the endpoint config exists already (a retried run): checking it is the same',
  AwaitApproval: 'the candidate was not approved',
};

const ENTERED = /^\[(\d+(?:\.\d+)?)s\] → (\S+)$/;
const CAUGHT = /^\[(\d+(?:\.\d+)?)s\] ↷ (\S+): (.*) \(handled by its Catch\)$/;
const APPROVE = /approve: (\S+)\s+or run: occupancy approve (\S+)/;
const AUTOML_NOTE = /^\s*AutoML: candidate \d+\/\d+$/;
const SIMULATE = /^simulate: ([\d,]+) \/ ~([\d,]+) readings$/;
const CLEAR = '\r\x1b[2K';

interface Fold {
  readonly group: string[];
  readonly startedAt: number;
  iterations: number;
  lastAt: number;
}

export function bar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export class RunTerminal {
  private readonly tty: boolean;
  private live = '';
  private fold: Fold | undefined;
  private readonly entries: { name: string; at: number }[] = [];
  private readonly printedLinks = new Set<string>();
  private automlTimer: NodeJS.Timeout | undefined;
  private automlJob: string | undefined;
  private automlShown = -1;
  private automlStatus = '';
  private automlStarted = Date.now();
  private simulated = '';
  private endpointTimer: NodeJS.Timeout | undefined;
  private endpointStatus = '';

  private options: TerminalOptions;

  constructor(options: TerminalOptions) {
    this.options = options;
    this.tty = Boolean(options.out.isTTY);
  }

  /** The parts known once the stack runs: its AutoML, object store and console. */
  attach(parts: Pick<TerminalOptions, 'automl' | 'localPathOf' | 'consoleUrl' | 'endpoint'>): void {
    this.options = { ...this.options, ...parts };
  }

  /** The sink for the runtime's progress lines (LocalStack onProgress, args.progress). */
  readonly line = (text: string): void => {
    this.handle(text);
  };

  private handle(text: string): void {
    if (text.startsWith('\n[notify]')) this.notify(text);
    else if (AUTOML_NOTE.test(text)) {
      // the AutoML poller reports each candidate as it finishes
    } else {
      const approve = APPROVE.exec(text);
      const entered = ENTERED.exec(text);
      const caught = CAUGHT.exec(text);
      const simulated = SIMULATE.exec(text);
      if (approve) this.approve(approve[1] ?? '', approve[2] ?? '');
      else if (entered) this.entered(Number(entered[1]), entered[2] ?? '');
      else if (caught) this.caught(caught[1] ?? '', caught[2] ?? '', caught[3] ?? '');
      else if (simulated) this.simulate(simulated[1] ?? '', simulated[2] ?? '');
      else {
        if (/^\[\d+(\.\d+)?s\] execution /.test(text)) this.endFold();
        // A new execution (start's scheduled runs share this terminal): its states are new again.
        if (/^execution \S+ started$/.test(text)) {
          this.endFold();
          this.entries.length = 0;
          this.automlShown = -1;
          this.automlStatus = '';
          this.automlStarted = Date.now();
        }
        this.print(text);
      }
    }
  }

  /** Ends what is live (a fold, the AutoML poller); call when the run is over. */
  close(): void {
    this.endFold();
    this.stopEndpoint();
    this.stopAutoML();
    if (this.live) this.setLive('');
  }

  private print(text: string): void {
    const out = this.options.out;
    if (this.tty && this.live) out.write(`${CLEAR}${text}\n${this.live}`);
    else out.write(`${text}\n`);
  }

  /** The line that updates in place (TTY only). */
  private setLive(text: string): void {
    if (!this.tty || text === this.live) return;
    this.live = text;
    this.options.out.write(`${CLEAR}${text}`);
    if (!text) this.live = '';
  }

  private entered(at: number, name: string): void {
    const fold = this.fold;
    if (fold?.group.includes(name)) {
      if (name === fold.group[0]) fold.iterations += 1;
      fold.lastAt = at;
      this.setLive(this.foldText(fold, false));
    } else {
      this.endFold();
      if (this.automlTimer && !/AutoML/.test(name)) this.stopAutoML();
      const previous = this.entries.map((e) => e.name).lastIndexOf(name);
      if (previous >= 0) {
        // Entered again: the states since its last entry are a loop; it is one line from now on.
        const group = this.entries.slice(previous).map((e) => e.name);
        this.fold = { group, startedAt: this.entries[previous]?.at ?? at, iterations: 2, lastAt: at };
        if (group.some((s) => /Endpoint/.test(s))) this.startEndpoint();
        this.setLive(this.foldText(this.fold, false));
      } else {
        this.print(`[${at.toFixed(1)}s] → ${name}`);
      }
    }
    this.entries.push({ name, at });
    if (name === 'StartAutoML' || (name === 'WaitAutoML' && !this.automlTimer)) this.startAutoML();
  }

  private foldText(fold: Fold, done: boolean): string {
    const seconds = (fold.lastAt - fold.startedAt).toFixed(1);
    const verb = done ? 'polled' : 'polling';
    const automl = !done && this.automlStatus ? ` · ${this.automlStatus}` : '';
    const endpoint = !done && this.endpointTimer && this.endpointStatus ? ` · ${this.endpointStatus}` : '';
    return `[${fold.lastAt.toFixed(1)}s] ⟳ ${fold.group.join(' → ')}: ${verb} ${fold.iterations}× over ${seconds}s${automl}${endpoint}`;
  }

  private endFold(): void {
    const fold = this.fold;
    if (!fold) return;
    this.stopEndpoint();
    this.fold = undefined;
    const text = this.foldText(fold, true);
    if (this.tty) {
      this.live = '';
      this.options.out.write(`${CLEAR}${text}\n`);
    } else this.print(text);
  }

  private caught(at: string, state: string, error: string): void {
    const expected = EXPECTED_CONDITIONS[state];
    const errorName = error.split(':')[0]?.trim() ?? error;
    this.print(
      expected
        ? `[${at}s]   ${state}: ${expected}`
        : `[${at}s]   ${state}: ${errorName}, handled by the state machine (its Catch); the run goes on`,
    );
  }

  private approve(url: string, run: string): void {
    if (this.printedLinks.has(url)) return;
    this.printedLinks.add(url);
    const dir = this.stateDirFlag();
    this.print(`           waiting for your approval: open ${url}`);
    this.print(`           or run: npx occupancy approve ${run}${dir}   (or: npx occupancy reject ${run}${dir})`);
  }

  /** A notification (the SNS message): links already printed or only meaningful on AWS are left out. */
  private notify(text: string): void {
    const out: string[] = [];
    for (const raw of text.replace(/^\n/, '').replace(/\n+$/, '').split('\n')) {
      const link = /^\s*(Approve|Reject):\s+(\S+)/.exec(raw);
      if (link) continue; // the approve line below prints the link once; the console page has both answers
      if (/https:\/\/[^\s]*console\.aws\.amazon\.com/.test(raw)) {
        const url = this.options.consoleUrl?.();
        if (url) out.push(`  Or decide in the local console: ${url}`);
        continue;
      }
      out.push(this.withLocalPaths(raw));
    }
    while (out.at(-1)?.trim() === '') out.pop();
    // Blank lines the dropped links leave are collapsed to one.
    for (const [i, l] of out.entries()) if (!(l.trim() === '' && out[i - 1]?.trim() === '')) this.print(l);
  }

  /** `s3://bucket/key (local: path)` where the local object store has the file. */
  private withLocalPaths(line: string): string {
    const pathOf = this.options.localPathOf;
    if (!pathOf) return line;
    return line.replace(/s3:\/\/[^\s)]+/g, (uri) => {
      try {
        const path = pathOf(uri);
        if (!existsSync(path)) return uri;
        const shown = relative(process.cwd(), path);
        return `${uri}\n    local file: ${shown.startsWith('..') ? path : shown}`;
      } catch {
        return uri;
      }
    });
  }

  private simulate(done: string, total: string): void {
    const n = Number(done.replaceAll(',', ''));
    const t = Number(total.replaceAll(',', ''));
    const text = `simulating ${bar(n, t)} ${done} / ${total} readings`;
    if (this.tty) {
      this.setLive(text);
      if (n >= t) {
        this.live = '';
        this.options.out.write('\n');
      }
    } else if (text !== this.simulated) this.print(text);
    this.simulated = text;
  }

  private stateDirFlag(): string {
    return ` --state-dir ${this.options.stateDir}`;
  }

  /** While an endpoint is polled (a deployment, a canary bake): its progress, printed when it changes. */
  private startEndpoint(): void {
    const source = this.options.endpoint;
    if (!source || this.endpointTimer) return;
    this.endpointStatus = '';
    const read = () => {
      let status: string | undefined;
      try {
        status = source();
      } catch {
        status = undefined; // no endpoint yet: nothing to show
      }
      if (!status || status === this.endpointStatus) return;
      this.endpointStatus = status;
      if (this.tty && this.fold) this.setLive(this.foldText(this.fold, false));
      else if (!this.tty) this.print(`           ${status}`);
    };
    this.endpointTimer = setInterval(read, this.options.pollMs ?? 200);
    this.endpointTimer.unref();
    read();
  }

  private stopEndpoint(): void {
    if (this.endpointTimer) clearInterval(this.endpointTimer);
    this.endpointTimer = undefined;
  }

  private startAutoML(): void {
    const source = this.options.automl;
    if (!source || this.automlTimer) return;
    this.automlTimer = setInterval(() => this.pollAutoML(source), this.options.pollMs ?? 200);
    this.automlTimer.unref();
  }

  private bestSoFar(source: AutoMLProgressSource, job: string): string {
    const best = source.listCandidates?.(job).find((c) => c.CandidateStatus === 'Completed');
    const metric = best?.FinalAutoMLJobObjectiveMetric;
    return metric?.Value === undefined
      ? ''
      : `; best ${metric.MetricName ?? 'objective'} so far ${metric.Value.toFixed(3)}`;
  }

  private stopAutoML(): void {
    if (!this.automlTimer) return;
    clearInterval(this.automlTimer);
    this.automlTimer = undefined;
    const source = this.options.automl;
    if (source) this.pollAutoML(source); // whatever finished since the last poll
    // On a TTY the candidates were the live line: what stays on screen is their summary.
    if (this.tty && source && this.automlJob && this.automlShown > 0) {
      const best = this.bestSoFar(source, this.automlJob).replace(' so far', '');
      this.print(`           AutoML: ${this.automlShown} candidates${best}`);
    }
    this.automlJob = undefined;
  }

  /** Reads the running job's progress and prints every candidate that finished since the last read. */
  private pollAutoML(source: AutoMLProgressSource): void {
    try {
      if (!this.automlJob) {
        const running = source
          .listJobs()
          .map((name) => ({ name, d: source.describe(name) }))
          .filter(({ d }) => (d.CreationTime?.getTime() ?? 0) >= this.automlStarted - 1000)
          .sort((a, b) => (b.d.CreationTime?.getTime() ?? 0) - (a.d.CreationTime?.getTime() ?? 0));
        this.automlJob = running[0]?.name;
        if (!this.automlJob) return;
      }
      const d = source.describe(this.automlJob);
      const done = d.Progress?.CandidatesCompleted ?? 0;
      const total = d.Progress?.CandidatesTotal ?? 0;
      const seconds = ((Date.now() - (d.CreationTime?.getTime() ?? Date.now())) / 1000).toFixed(1);
      const best = done > this.automlShown ? this.bestSoFar(source, this.automlJob) : '';
      for (let k = Math.max(this.automlShown + 1, 1); k <= done; k++) {
        const status = `AutoML ${bar(k, total)} candidate ${k}/${total} done (${seconds}s)${best}`;
        if (this.tty) this.automlStatus = status;
        else this.print(`           ${status}`);
      }
      if (done > this.automlShown) this.automlShown = done;
      const refit = d.Progress?.CurrentCandidate;
      if (done >= total && total > 0 && d.AutoMLJobStatus === 'InProgress' && refit) {
        const status = `AutoML ${bar(done, total)} ${total}/${total} candidates; refitting the best (${refit}) on all training rows`;
        if (status !== this.automlStatus) {
          this.automlStatus = status;
          if (!this.tty) this.print(`           ${status}`);
        }
      }
      if (this.tty && this.fold) this.setLive(this.foldText(this.fold, false));
      else if (this.tty && this.automlStatus) this.setLive(`           ${this.automlStatus}`);
    } catch {
      // Progress is best effort: a job being written is read again on the next tick.
    }
  }
}

interface EndpointView {
  EndpointStatus?: string;
  PendingDeploymentSummary?: {
    EndpointConfigName?: string;
    ProductionVariants?: { CurrentWeight?: number; DesiredWeight?: number; VariantStatus?: { Status?: string }[] }[];
  };
}

/** An endpoint's deployment in words: its status and, during a blue/green update, the new fleet's share and phase. */
export function describeDeployment(d: EndpointView): string {
  const pending = d.PendingDeploymentSummary;
  const variant = pending?.ProductionVariants?.[0];
  if (!pending || !variant) return `endpoint ${d.EndpointStatus ?? 'unknown'}`;
  const share = variant.DesiredWeight ? Math.round(((variant.CurrentWeight ?? 0) / variant.DesiredWeight) * 100) : 0;
  const phase = variant.VariantStatus?.[0]?.Status ?? 'Creating';
  return `endpoint ${d.EndpointStatus ?? 'Updating'}: new config ${bar(share, 100, 10)} ${share}% of traffic, ${phase}`;
}

/** The copy-pasteable next steps after a run, with the state dir in use (start adds `simulate --live` when serving). */
export function closingHints(stateDir: string, run: string): string[] {
  const dir = ` --state-dir ${stateDir}`;
  return ['next:', `  npx occupancy status${dir}`, `  npx occupancy report ${run}${dir} --out ${run}.html`];
}
