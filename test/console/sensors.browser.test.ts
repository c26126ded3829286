import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { HEALTH_REPORT_KEY, type SensorHealthReport } from '../../health/types';
import { type ConsolePage, clientAssets, pageHtml } from '../../local/console/assets';
import { type DashboardResponse, evaluateDashboard } from '../../local/console/dashboard';
import { sensorsView } from '../../local/console/sensors';
import { OccupancyMetrics } from '../../observability/metrics';
import { dashboardWidgets, SENSOR_WIDGET_IDS } from '../../observability/widgets';

/**
 * The console's Sensors page in a real browser, over the newest report in a local object store (as the check writes
 * it): a report with three unhealthy devices lists exactly them, by kind; before any check and with every device
 * healthy it says so. Screenshot: /tmp/sensors.png.
 */

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ORIGIN = 'http://console.test';
const CHECKED = Date.UTC(2026, 0, 8, 0, 0);
const H = 3_600_000;

const REPORT: SensorHealthReport = {
  reportId: 'r-1',
  checkedAt: CHECKED,
  lookbackHours: 24,
  devicesKnown: 6,
  counts: { stuck: 1, silent: 1, 'out-of-range': 1, malformed: 0 },
  unhealthy: [
    {
      thingName: 'room-01',
      kind: 'stuck',
      since: CHECKED - 6 * H,
      lastGoodReading: CHECKED - 6 * H - 60_000,
      signal: 'sound',
      detail: 'sound held 11.3 for 6 h',
    },
    {
      thingName: 'room-02',
      kind: 'silent',
      since: CHECKED - 6 * H,
      lastGoodReading: CHECKED - 6 * H,
      detail: 'no reading for 6 h (usually every 1 min)',
    },
    {
      thingName: 'room-03',
      kind: 'out-of-range',
      since: CHECKED - 6 * H,
      lastGoodReading: null,
      signal: 'sound',
      detail: '180 readings out of range, the last 400 (range [0, 200])',
    },
  ],
};

let browser: Browser;
let root: string;
let everyMinutes: number | undefined;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => browser?.close());
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'console-sensors-'));
  everyMinutes = undefined;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const writeReport = (bucket: string, report: SensorHealthReport): void => {
  const path = join(root, bucket, ...HEALTH_REPORT_KEY.split('/'));
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(report));
};

/** The dashboard's JSON: the shared widgets over UnhealthyDevices per kind of REPORT, and the newest report. */
function dashboardApi(): DashboardResponse {
  const end = Date.now();
  const start = end - 3 * H;
  const widgets = evaluateDashboard(
    dashboardWidgets({ endpointName: 'occupancy-endpoint', stateMachineArn: 'arn:aws:states:::stateMachine:x' }),
    {
      datapoints: (metric) =>
        metric.name === OccupancyMetrics.UnhealthyDevices.name
          ? [{ t: end - 10 * 60_000, v: REPORT.counts[metric.dimensions.Kind as keyof typeof REPORT.counts] ?? 0 }]
          : [],
    },
    { start, end, periodSeconds: 120 },
    () => {
      const view = sensorsView(root);
      return view.state === 'report' ? view.report : undefined;
    },
  );
  return { window: '3h', start, end, widgets };
}

/** The Sensors page, its JSON from the console's view over `root` (no server). */
async function open(errors: string[], page: ConsolePage = 'sensors'): Promise<Page> {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  tab.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  tab.on('pageerror', (e) => errors.push(String(e)));
  const html = pageHtml(`occupancy: ${page}`, { mode: 'live', page });
  await tab.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    const assets = clientAssets();
    if (url.pathname === `/${page}`) return route.fulfill({ contentType: 'text/html', body: html });
    if (url.pathname === '/api/dashboard')
      return route.fulfill({ contentType: 'application/json', json: dashboardApi() });
    if (url.pathname === '/api/rooms') return route.fulfill({ contentType: 'application/json', json: [] });
    if (url.pathname === '/assets/app.js') return route.fulfill({ contentType: 'text/javascript', body: assets.js });
    if (url.pathname === '/assets/app.css') return route.fulfill({ contentType: 'text/css', body: assets.css });
    if (url.pathname === '/api/sensors')
      return route.fulfill({ contentType: 'application/json', json: sensorsView(root, everyMinutes) });
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await tab.goto(`${ORIGIN}/${page}`);
  await tab.locator(page === 'sensors' ? '#sensors-state' : '#dashboard[data-ready]').waitFor();
  return tab;
}

describe('console Sensors page', () => {
  it('lists exactly the unhealthy devices of the newest report, by kind', async () => {
    writeReport('occupancy-artifacts', REPORT);
    // An older report in another bucket does not win.
    writeReport('other-bucket', { ...REPORT, reportId: 'old', checkedAt: CHECKED - H, unhealthy: [] });
    const errors: string[] = [];
    const tab = await open(errors);
    const rows = await tab
      .locator('section.sensors-kind tr[data-thing]')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-kind'), tr.getAttribute('data-thing')]));
    expect(rows).toEqual([
      ['stuck', 'room-01'],
      ['silent', 'room-02'],
      ['out-of-range', 'room-03'],
    ]);
    expect(await tab.locator('section.sensors-kind h2').allTextContents()).toEqual([
      'Stuck (1)',
      'Silent (1)',
      'Out of range (1)',
    ]);
    expect(await tab.locator('#sensors-state').textContent()).toBe('3 unhealthy of 6 devices.');
    const stuck = await tab.locator('tr[data-thing="room-01"] td').allTextContents();
    expect(stuck[1]).toMatch(/6 h before the check$/);
    expect(stuck.slice(3)).toEqual(['sound', 'sound held 11.3 for 6 h']);
    expect(await tab.locator('tr[data-thing="room-03"] td').nth(2).textContent()).toBe('none in the lookback');
    expect(await tab.locator('header a[href="/sensors"]').textContent()).toBe('Sensors');
    expect(await tab.locator('#sensors-stale').count()).toBe(0);
    await tab.screenshot({ path: '/tmp/sensors.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('says when no check has run yet, and when every device is healthy', async () => {
    const errors: string[] = [];
    let tab = await open(errors);
    expect(await tab.locator('#sensors-state').textContent()).toMatch(/^No sensor health check has run yet/);
    writeReport('occupancy-artifacts', {
      ...REPORT,
      counts: { stuck: 0, silent: 0, 'out-of-range': 0, malformed: 0 },
      unhealthy: [],
    });
    tab = await open(errors);
    expect(await tab.locator('#sensors-state').textContent()).toBe('All 6 devices healthy.');
    expect(await tab.locator('section.sensors-kind').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('warns when the newest report is older than two check intervals', async () => {
    everyMinutes = 15;
    writeReport('occupancy-artifacts', REPORT);
    const tab = await open([]);
    expect(await tab.locator('#sensors-stale').textContent()).toMatch(/older than two check intervals .*every 15 min/);
    await tab.screenshot({ path: '/tmp/sensors.png', fullPage: true });
  });

  it('the dashboard draws UnhealthyDevices per kind and lists the devices of the newest report', async () => {
    writeReport('occupancy-artifacts', REPORT);
    const errors: string[] = [];
    const tab = await open(errors, 'dashboard');
    const legend = await tab
      .locator(`#widget-${SENSOR_WIDGET_IDS.unhealthy} table.legend tr`)
      .evaluateAll((rows) =>
        rows.map((r) => [r.getAttribute('data-series'), r.querySelector('.latest-value')?.textContent]),
      );
    expect(legend).toEqual([
      ['stuck', '1 (newest)'],
      ['silent', '1 (newest)'],
      ['out-of-range', '1 (newest)'],
      ['malformed', '0 (newest)'],
    ]);
    const devices = await tab
      .locator(`#widget-${SENSOR_WIDGET_IDS.devices} tr[data-thing]`)
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-kind'), tr.getAttribute('data-thing')]));
    expect(devices).toEqual([
      ['stuck', 'room-01'],
      ['silent', 'room-02'],
      ['out-of-range', 'room-03'],
    ]);
    await tab.locator(`#widget-${SENSOR_WIDGET_IDS.unhealthy}`).scrollIntoViewIfNeeded();
    await tab.screenshot({ path: '/tmp/sensors-dashboard.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('names an unreadable report and why', async () => {
    writeReport('occupancy-artifacts', { ...REPORT, counts: undefined } as unknown as SensorHealthReport);
    const tab = await open([]);
    expect(await tab.locator('#sensors-state').textContent()).toMatch(
      /^The newest report \(s3:\/\/occupancy-artifacts\/health\/latest\.json\) cannot be read: counts: /,
    );
  });
});
