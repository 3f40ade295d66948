/**
 * The chart.js pieces the charts use, registered once by the code that draws (the Chart
 * component and the exports) rather than as an import side effect — so that only these are
 * bundled, and a test registers the same set. Scatter charts are line charts without lines, and
 * histograms are bar charts on a linear axis with a line on top, so two controllers and the
 * box-plot one cover every spec.
 */
import { BoxAndWiskers, BoxPlotController } from '@sgratzl/chartjs-chart-boxplot';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, SubTitle, Title, Tooltip } from 'chart.js';
import { INK } from './palette';

let registered = false;

export function registerCharts(): void {
  if (registered) return;
  Chart.register(LineController, BarController, BoxPlotController, LineElement, PointElement, BarElement, BoxAndWiskers, LinearScale, CategoryScale, Legend, Title, SubTitle, Tooltip);
  // The app's font (styles.css), so that charts, exports and the printed report read alike.
  Chart.defaults.font.family = 'system-ui, sans-serif';
  Chart.defaults.font.size = 12;
  Chart.defaults.color = INK;
  registered = true;
}
