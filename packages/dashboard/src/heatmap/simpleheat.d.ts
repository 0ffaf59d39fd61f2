/** simpleheat 0.4.0 ships no types; the part the heat layer calls. */
declare module "simpleheat" {
  interface SimpleHeat {
    data(points: [number, number, number][]): SimpleHeat;
    max(max: number): SimpleHeat;
    radius(r: number, blur?: number): SimpleHeat;
    draw(minOpacity?: number): SimpleHeat;
  }
  function simpleheat(canvas: HTMLCanvasElement): SimpleHeat;
  // biome-ignore lint/style/noDefaultExport: the package is CommonJS (module.exports = simpleheat), which esbuild imports as the default
  export default simpleheat;
}
