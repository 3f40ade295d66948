/**
 * The charts' categorical palette: Okabe & Ito's eight colours, told apart with the common
 * colour-vision deficiencies (Okabe & Ito, "Color Universal Design", 2008). A series' `tone`
 * (from the spec) indexes it, so one kind, path or direction keeps its colour across a view.
 * Yellow comes last but one: it is the weakest on white, used only beyond six series.
 */
export const OKABE_ITO = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#F0E442', // yellow
  '#000000', // black
] as const;

export const toneColour = (tone: number): string => OKABE_ITO[((tone % OKABE_ITO.length) + OKABE_ITO.length) % OKABE_ITO.length]!;

/** The colour with an alpha (0–1), for fills under a solid border. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Ink for axes, text and error bars. */
export const INK = '#1d2330';
export const GRID = '#e3e6ec';
