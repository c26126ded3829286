import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClosedApproval } from './approval';

/**
 * The browser side of the console: client/app.ts bundled with uPlot by esbuild (once per process), and the page
 * shell. The static report inlines the same bundle, so it opens from a file with no server and no network.
 */

let bundle: { js: string; css: string } | undefined;

export function clientAssets(): { js: string; css: string } {
  if (!bundle) {
    // esbuild ships with tsx (what `npm start` runs); loaded lazily so importing the console stays cheap.
    const esbuild = require('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({
      entryPoints: [join(__dirname, 'client', 'app.ts')],
      bundle: true,
      minify: true,
      format: 'iife',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
    });
    const js = result.outputFiles[0]?.text ?? '';
    const uplotDir = dirname(require.resolve('uplot'));
    const uplotCss = readFileSync(join(uplotDir, 'uPlot.min.css'), 'utf8');
    bundle = { js, css: `${uplotCss}\n${CONSOLE_CSS}` };
  }
  return bundle;
}

const CONSOLE_CSS = `
body{font:14px system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#232f3e;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
header a{color:#fff;text-decoration:none}header .brand{font-weight:600;margin-right:16px}
main{padding:16px;max-width:1400px}
table{border-collapse:collapse;background:#fff;margin:8px 0}th,td{border:1px solid #d5dbe1;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status-SUCCEEDED,.s-succeeded{color:#1d8102}.status-FAILED,.s-failed{color:#d13212}.status-RUNNING,.s-running{color:#0073bb}
.panel{background:#fff;border:1px solid #d5dbe1;padding:12px;margin:12px 0}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #d5dbe1;padding:8px}
.chart h3{margin:0 0 4px;font-size:14px}
pre{max-height:300px;overflow:auto;background:#f3f3f3;padding:6px;margin:4px 0;font-size:12px}
.graph svg text{font-size:11px;font-family:system-ui,sans-serif}
.approval{border:2px solid #ff9900}.approval.closed{border-color:#d5dbe1}.approval dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0}.approval dt{color:#687078}.approval dd{margin:0}.approval textarea{width:100%;min-height:50px}
button{padding:6px 14px;margin-right:8px;cursor:pointer;border:1px solid #8d99a8;background:#fff;border-radius:3px;font:inherit}
button.primary{background:#ec7211;border-color:#ec7211;color:#fff;font-weight:600}button.danger{background:#d13212;border-color:#d13212;color:#fff}
button.selected{background:#232f3e;color:#fff;border-color:#232f3e}button:disabled{opacity:.5;cursor:default}
.actions{margin-top:8px}.toolbar{display:flex;gap:12px;align-items:center;margin-bottom:8px}
.verdict{padding:8px 10px;border-radius:3px;margin:4px 0 8px}.verdict.pass{background:#e9f7e6;border-left:4px solid #1d8102}.verdict.fail{background:#fdecea;border-left:4px solid #d13212}
.headline{font-size:16px;margin:6px 0}.headline .f1{font-size:20px}
.approval .facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0}.approval .facts dt{color:#687078}.approval .facts dd{margin:0}
dialog{border:1px solid #8d99a8;border-radius:4px;padding:16px 20px;max-width:520px}dialog::backdrop{background:rgba(0,0,0,.35)}
tr.winner td{background:#fff4e0;font-weight:600}td.mark{white-space:nowrap;color:#ec7211}tr.folded td{background:#f7f9fb}
details.graph>summary{cursor:pointer}details.graph>summary h2{display:inline;font-size:18px}
.graph-legend{display:flex;flex-wrap:wrap;gap:14px;margin:8px 0;font-size:12px;color:#444}.graph-legend>span{display:inline-flex;align-items:center;gap:4px}
.swatch{display:inline-block;width:12px;height:12px;border:1px solid #8d99a8;margin-right:4px;vertical-align:middle}
.edge-solid,.edge-dashed,.edge-catch{display:inline-block;width:22px;height:0;border-top:2px solid #5f6b7a}.edge-dashed{border-top-style:dashed}.edge-catch{border-top:1px dotted #d13212;opacity:.5}
.chart{position:relative}.chart .empty{color:#687078;text-align:center;margin:0;position:absolute;top:70px;left:60px;right:24px}
button.zoom{padding:0 8px;margin:0 2px}.zoom-bar{white-space:nowrap}td.nowrap{white-space:nowrap}table.legend{margin:4px 0 0;font-size:12px}table.legend td{border:none;padding:1px 6px}
.muted{color:#687078}.error{color:#d13212}
#validation h3{margin:4px 0}.validation-tables{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}.validation-tables .caption{font-size:12px;color:#687078}tr.drifting td{background:#fdecea}td.drifting{color:#d13212}td.members span{white-space:nowrap}.table-scroll{overflow-x:auto}td.why{min-width:220px}
`;

export type ConsolePage = 'runs' | 'run' | 'endpoints' | 'dashboard' | 'sensors';

export interface OpenApproval {
  readonly open: true;
  readonly token: string;
  /** The server-issued form token (csrf.ts). */
  readonly csrf: string;
  readonly actions: readonly string[];
}

export type ClosedApprovalBoot = { readonly open: false } & ClosedApproval;

/** What the page shell hands the client (embedded as JSON). */
export interface BootData {
  readonly mode: 'live' | 'static';
  readonly page: ConsolePage;
  readonly run?: string;
  /** Present on a run page opened from its approval link: the form while open, else what happened. */
  readonly approval?: OpenApproval | ClosedApprovalBoot;
  /** The static report's data (the run view). */
  readonly data?: unknown;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export function pageHtml(title: string, boot: BootData): string {
  const inline = boot.mode === 'static';
  const assets = inline ? clientAssets() : undefined;
  const head = assets ? `<style>${assets.css}</style>` : '<link rel="stylesheet" href="/assets/app.css">';
  const script = assets
    ? `<script>${assets.js.replace(/<\/script/gi, '<\\/script')}</script>`
    : '<script src="/assets/app.js"></script>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${head}</head><body><div id="app"></div><script type="application/json" id="boot">${scriptJson(boot)}</script>${script}</body></html>`;
}
