import type { CarePath } from '../../../../db/schema/vocabulary.ts';

/**
 * The colours of the product's data, defined once. The two care paths use the
 * Okabe-Ito blue and vermillion: distinguishable with every common colour-vision
 * deficiency and in greyscale (they differ in lightness), and each has at least
 * 3:1 contrast on white, the WCAG minimum for chart marks. Charts also draw the
 * conservative path dashed with square markers, so colour is never the only cue.
 *
 * The UI chrome (header, buttons, focus rings) is slate and navy on purpose:
 * blue and vermillion mean "a care path" wherever they appear.
 */
export type SeriesStyle = {
  label: string;
  /** Lines, markers, bars and the swatch in legends. */
  color: string;
  /** Confidence bands and bar backgrounds: the same hue, light. */
  band: string;
  /** SVG stroke-dasharray; undefined for solid. */
  dash: string | undefined;
  marker: 'circle' | 'square';
};

export const CARE_PATH_STYLES: Readonly<Record<CarePath, SeriesStyle>> = {
  interventional: { label: 'Interventional', color: '#0072B2', band: 'rgba(0, 114, 178, 0.16)', dash: undefined, marker: 'circle' },
  conservative: { label: 'Conservative', color: '#D55E00', band: 'rgba(213, 94, 0, 0.16)', dash: '6 4', marker: 'square' },
};

/** Further series (treatment categories, providers) in Okabe-Ito order, after the two care-path colours. */
export const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00', '#000000', '#F0E442'] as const;

/** Neutral marks: reference lines, the practice total, axes. */
export const NEUTRAL = { ink: '#1b2430', muted: '#5b6675', grid: '#e3e7ec', reference: '#8a94a3' } as const;

/**
 * Exposes the palette to the style sheet as custom properties (--path-interventional,
 * --path-conservative, and their -band variants), so CSS and charts share one source.
 * Set through the CSSOM, which a strict Content-Security-Policy allows.
 */
export function applyPaletteToDocument(root: HTMLElement = document.documentElement): void {
  for (const [path, style] of Object.entries(CARE_PATH_STYLES)) {
    root.style.setProperty(`--path-${path}`, style.color);
    root.style.setProperty(`--path-${path}-band`, style.band);
  }
}
