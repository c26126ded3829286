import type { ConsolePage } from '../assets';
import { dashboardPage } from './dashboard-page';
import { boot } from './dom';
import { endpointsPage } from './endpoint-page';
import { runPage } from './run-page';
import { runsPage } from './runs-page';
import { sensorsPage } from './sensors-page';

/** The console in the browser: renders the JSON views, polling them while the page is open. */

const pages: Record<ConsolePage, () => void> = {
  runs: runsPage,
  run: runPage,
  endpoints: endpointsPage,
  dashboard: dashboardPage,
  sensors: sensorsPage,
};
(pages[boot.page] ?? runsPage)();
