// Chart.js, registered once with only the pieces the app draws (smaller bundle), a white background
// (so exported PNGs are readable anywhere) and no animation (the UI stays still while data streams in).
import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, type ChartConfiguration, type Plugin } from 'chart.js';

const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, whiteBackground);
Chart.defaults.animation = false;
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
Chart.defaults.color = '#3d4046';
Chart.defaults.maintainAspectRatio = false;

export { Chart, type ChartConfiguration };

/** Distinguishable on white, and for the common colour-vision deficiencies (Okabe–Ito based). */
export const PALETTE = ['#1f5fbf', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#6a3d9a', '#5d6169'];
export const colour = (i: number): string => PALETTE[i % PALETTE.length];

/** A file name from free text: "Perplexity vs ratio" → "perplexity-vs-ratio". */
export const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'chart';
