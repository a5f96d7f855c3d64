// The report's most decisive charts as one PNG, for chat messages that cannot show the page: each chart drawn by
// ECharts on the server as SVG (the option the page draws), stacked under a line with the verdict, and rasterised
// by resvg (WebAssembly, with the DejaVu fonts shipped as a package: images have no system fonts).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import escapeHtml from 'escape-html';
import { metricChartOption } from './charts.js';
import { decisiveMetrics, type Report } from './model.js';

const require = createRequire(import.meta.url);

export interface ImageOptions {
  /** Charts in the image, the most decisive first. */
  metrics?: number;
  width?: number;
  chartHeight?: number;
}

const HEADER = 56;
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'];

interface Renderer {
  Resvg: typeof import('@resvg/resvg-wasm').Resvg;
  fonts: Uint8Array[];
  echarts: typeof import('echarts');
}

let renderer: Promise<Renderer> | undefined;

/** Loaded on first use, once: the WebAssembly module, the fonts and ECharts are only needed for images. */
function loadRenderer(): Promise<Renderer> {
  renderer ??= (async () => {
    const resvg = await import('@resvg/resvg-wasm');
    await resvg.initWasm(await readFile(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
    const fonts = await Promise.all(FONT_FILES.map(async (file) => new Uint8Array(await readFile(require.resolve(`dejavu-fonts-ttf/ttf/${file}`)))));
    return { Resvg: resvg.Resvg, fonts, echarts: await import('echarts') };
  })();
  return renderer;
}

/** One chart as an SVG document. */
function chartSvg(echarts: Renderer['echarts'], option: ReturnType<typeof metricChartOption>, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The verdict line and the decisive charts as one SVG document, `width` wide. */
export async function reportSvg(report: Report, { metrics = 2, width = 900, chartHeight = 320 }: ImageOptions = {}): Promise<string> {
  const { echarts } = await loadRenderer();
  const shown = decisiveMetrics(report, metrics);
  const charts = shown.map((metric, i) => {
    // A point every three pixels or so: drawing costs in points, and a still image shows no more.
    const svg = chartSvg(echarts, metricChartOption(metric, { animation: false, title: true, maxPoints: Math.round(width / 3) }), width, chartHeight);
    // Each chart is an <svg> of its own, placed below the previous one.
    return svg.replace(/^<svg /, `<svg x="0" y="${HEADER + i * chartHeight}" `);
  });
  const verdict = `${report.verdict ?? 'undecided'}${report.score === null ? '' : `, score ${report.score}/100`} (${report.phase})`;
  const height = HEADER + shown.length * chartHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<rect width="100%" height="100%" fill="#ffffff"/>`
    + `<text x="12" y="24" font-family="DejaVu Sans" font-size="17" font-weight="bold" fill="#1a1a1a">${escapeHtml(verdict)}</text>`
    + `<text x="12" y="45" font-family="DejaVu Sans" font-size="12" fill="#444444">${escapeHtml(`${report.subject}: canary ${report.groups.canary} vs baseline ${report.groups.baseline}`)}</text>`
    + charts.join('')
    + `</svg>`;
}

/** The image as PNG bytes. */
export async function reportPng(report: Report, options: ImageOptions = {}): Promise<Buffer> {
  const { Resvg, fonts } = await loadRenderer();
  const svg = await reportSvg(report, options);
  const image = new Resvg(svg, { font: { fontBuffers: fonts, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' }, background: '#ffffff' });
  try {
    return Buffer.from(image.render().asPng());
  } finally {
    image.free();
  }
}
