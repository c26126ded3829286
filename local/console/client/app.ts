import type { ConsolePage } from '../assets';
import { dashboardPage } from './dashboard-page';
import { boot } from './dom';
import { endpointsPage } from './endpoint-page';
import { runPage } from './run-page';
import { runsPage } from './runs-page';

/** The console in the browser: renders the JSON views, polling them while the page is open. */

const pages: Record<ConsolePage, () => void> = {
  runs: runsPage,
  run: runPage,
  endpoints: endpointsPage,
  dashboard: dashboardPage,
};
(pages[boot.page] ?? runsPage)();
