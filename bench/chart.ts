// Line charts as hand-written SVG text for docs/images (no charting dependency): panels side by side, categorical x axis, one line per series.

export interface ChartSeries {
	name: string;
	/** One value per category of the panel; null: no point (not measured, or nothing completed). */
	values: Array<number | null>;
	color: string;
	dashed?: boolean;
	/** Drawn without markers, as a reference (an ideal, a bound). */
	reference?: boolean;
	/** A short label at a category where the value carries a remark (e.g. "failed"), keyed by category index. */
	remarks?: Record<number, string>;
}

export interface ChartPanel {
	title: string;
	xLabel: string;
	yLabel: string;
	categories: string[];
	series: ChartSeries[];
}

const PANEL_WIDTH = 480;
const HEIGHT = 400;
const MARGIN = { top: 48, right: 20, bottom: 118, left: 64 };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/** Escapes text for SVG content and attribute values. */
function escapeXml(text: string): string {
	return text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[character] as string);
}

/** A round upper bound for the y axis and its tick step (1, 2 or 5 times a power of ten, about 5 ticks). */
export function niceScale(max: number): { top: number; step: number } {
	if (!(max > 0)) return { top: 1, step: 0.2 };
	const rough = max / 5;
	const power = 10 ** Math.floor(Math.log10(rough));
	const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) as number;
	return { top: Math.ceil(max / step) * step, step };
}

function panelSvg(panel: ChartPanel, offsetX: number): string {
	const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
	const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
	const values = panel.series.flatMap((series) => series.values.filter((value): value is number => value !== null));
	const { top, step } = niceScale(Math.max(0, ...values));
	const x = (index: number) => offsetX + MARGIN.left + (plotWidth * (index + 0.5)) / panel.categories.length;
	const y = (value: number) => MARGIN.top + plotHeight - (plotHeight * value) / top;
	const parts: string[] = [];
	parts.push(`<text x="${offsetX + PANEL_WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold" ${FONT}>${escapeXml(panel.title)}</text>`);
	for (let tick = 0; tick <= top + step / 1000; tick += step) {
		const ty = y(tick).toFixed(1);
		parts.push(`<line x1="${offsetX + MARGIN.left}" y1="${ty}" x2="${offsetX + MARGIN.left + plotWidth}" y2="${ty}" stroke="#e3e3e3" stroke-width="1"/>`);
		parts.push(`<text x="${offsetX + MARGIN.left - 6}" y="${ty}" dy="4" text-anchor="end" font-size="11" fill="#444" ${FONT}>${Number(tick.toFixed(6))}</text>`);
	}
	parts.push(`<line x1="${offsetX + MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${offsetX + MARGIN.left + plotWidth}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`);
	parts.push(`<line x1="${offsetX + MARGIN.left}" y1="${MARGIN.top}" x2="${offsetX + MARGIN.left}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`);
	panel.categories.forEach((category, index) => {
		parts.push(`<text x="${x(index).toFixed(1)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle" font-size="12" fill="#222" ${FONT}>${escapeXml(category)}</text>`);
	});
	parts.push(`<text x="${offsetX + MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 40}" text-anchor="middle" font-size="12" fill="#222" ${FONT}>${escapeXml(panel.xLabel)}</text>`);
	const yMid = MARGIN.top + plotHeight / 2;
	parts.push(`<text x="${offsetX + 18}" y="${yMid}" text-anchor="middle" font-size="12" fill="#222" transform="rotate(-90 ${offsetX + 18} ${yMid})" ${FONT}>${escapeXml(panel.yLabel)}</text>`);
	for (const series of panel.series) {
		const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
		// A gap (null) splits the line: a missing point is not drawn as if it were between its neighbours.
		let run: string[] = [];
		const flush = () => {
			if (run.length > 1) parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${series.color}" stroke-width="${series.reference ? 1.5 : 2.5}"${dash}/>`);
			run = [];
		};
		series.values.forEach((value, index) => {
			if (value === null) return flush();
			run.push(`${x(index).toFixed(1)},${y(value).toFixed(1)}`);
		});
		flush();
		if (!series.reference) {
			series.values.forEach((value, index) => {
				if (value !== null) parts.push(`<circle cx="${x(index).toFixed(1)}" cy="${y(value).toFixed(1)}" r="4" fill="${series.color}"><title>${escapeXml(`${series.name}: ${value.toFixed(1)}`)}</title></circle>`);
			});
		}
		for (const [index, remark] of Object.entries(series.remarks ?? {})) {
			const value = series.values[Number(index)] ?? 0;
			// Remarks of several series at one point stack upwards instead of overprinting.
			const below = panel.series.slice(0, panel.series.indexOf(series)).filter((other) => other.remarks?.[Number(index)] !== undefined).length;
			parts.push(`<text x="${x(Number(index)).toFixed(1)}" y="${(y(value) - 9 - 12 * below).toFixed(1)}" text-anchor="middle" font-size="10" fill="${series.color}" stroke="#ffffff" stroke-width="3" paint-order="stroke" ${FONT}>${escapeXml(remark)}</text>`);
		}
	}
	// Legend under the x axis label, one line per series.
	panel.series.forEach((series, index) => {
		const ly = MARGIN.top + plotHeight + 60 + index * 15;
		const lx = offsetX + MARGIN.left;
		parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${series.color}" stroke-width="${series.reference ? 1.5 : 2.5}"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
		parts.push(`<text x="${lx + 30}" y="${ly}" dy="4" font-size="11" fill="#222" ${FONT}>${escapeXml(series.name)}</text>`);
	});
	return parts.join('\n');
}

/** The panels side by side in one SVG document, with a caption line at the bottom. */
export function lineChartSvg(panels: ChartPanel[], caption: string): string {
	const width = PANEL_WIDTH * panels.length;
	const height = HEIGHT + 24;
	return [
		'<?xml version="1.0" encoding="UTF-8"?>',
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(panels.map((panel) => panel.title).join('; '))}">`,
		`<rect width="${width}" height="${height}" fill="#ffffff"/>`,
		...panels.map((panel, index) => panelSvg(panel, index * PANEL_WIDTH)),
		`<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#555" ${FONT}>${escapeXml(caption)}</text>`,
		'</svg>',
		'',
	].join('\n');
}
