export { Chart, type ChartProps } from './Chart';
export { CampaignFigures, ChartGrid, LinkCharts, RunFigures, type CampaignFiguresProps, type ChartGridProps, type LinkChartsProps, type RunFiguresProps } from './views';
export { chartToPng, chartToSvg, DEFAULT_EXPORT_SIZE, downloadPng, downloadSvg, fileNameOf, type ExportSize, type SvgOptions } from './export';
export { toChartConfig, type ConfigOptions, type DrawnSpec } from './config';
export { OKABE_ITO, toneColour } from './palette';
export { registerCharts } from './register';
