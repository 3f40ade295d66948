// svgcanvas ships no types; this is the part of its API the SVG export uses.
declare module 'svgcanvas' {
  export interface ContextOptions {
    width?: number;
    height?: number;
    /** A 2D context to measure text with (else it makes a canvas of `document`'s). */
    ctx?: Pick<CanvasRenderingContext2D, 'measureText' | 'font'>;
    document?: Document;
    enableMirroring?: boolean;
  }
  /** A mock CanvasRenderingContext2D that builds an SVG scene graph as it is drawn on. */
  export class Context {
    constructor(options: ContextOptions);
    constructor(width: number, height: number);
    width: number;
    height: number;
    canvas: Context;
    getSerializedSvg(fixNamedEntities?: boolean): string;
    getSvg(): SVGSVGElement;
  }
}
