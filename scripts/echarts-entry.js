/*
 * The custom ECharts build (static/vendor/echarts/echarts.custom.min.js): only the charts and components that
 * static/js/assessment-dashboard.js draws, bundled by esbuild from the pinned npm `echarts` package at
 * `make assets` (scripts/copy_assets.py). It defines window.echarts like the full dist file, so the page scripts
 * call echarts.init() unchanged. A chart type missing here fails loudly in the browser ("series.xxx not exists"):
 * add it to the lists below when a page starts drawing it.
 */
import * as echarts from "echarts/core";
import { BarChart, HeatmapChart, LineChart, RadarChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  RadarComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  RadarChart,
  GridComponent,
  LegendComponent,
  RadarComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
]);

window.echarts = echarts;
