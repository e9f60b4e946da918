import type { CliContext } from './context.js';

/** The line a command redraws on a terminal while it works (stderr): one renderer for all. */
export interface ProgressLine {
  /**
   * Redraws `[####----] text` (the bar when `frac` is given), cut to the terminal's width.
   * Redraws at most every 100 ms unless `force` (a new phase, an endpoint finished).
   */
  draw(text: string, opts?: { readonly frac?: number; readonly force?: boolean }): void;
  /** Clears the line, before results are printed. */
  clear(): void;
}

const ERASE = '\r\u001b[K';

/** The bar's width: a quarter of the terminal, 10 to 30 columns; 20 when the width is unknown. */
export function barWidth(columns: number | undefined): number {
  return columns === undefined ? 20 : Math.max(10, Math.min(30, Math.floor(columns / 4)));
}

export function progressLine(
  ctx: Pick<CliContext, 'err' | 'columns'>,
  throttleMs = 100,
): ProgressLine {
  let last = 0;
  let drawn = false;
  return {
    draw(text, opts = {}) {
      const now = Date.now();
      if (!opts.force && drawn && now - last < throttleMs) return;
      last = now;
      drawn = true;
      let line = text;
      if (opts.frac !== undefined) {
        const width = barWidth(ctx.columns);
        const full = Math.round(Math.min(1, Math.max(0, opts.frac)) * width);
        line = `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${text}`;
      }
      // One column short of the edge, so the terminal never wraps the line it redraws.
      const max = (ctx.columns ?? 200) - 1;
      ctx.err.write(`\r${line.length > max ? line.slice(0, max) : line}\u001b[K`);
    },
    clear() {
      if (drawn) ctx.err.write(ERASE);
      drawn = false;
    },
  };
}
