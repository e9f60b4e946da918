/*
 * Forecast maths, kept pure so it is tested against known series.
 */

export interface LinearFit {
  /** Change of y per unit of x. */
  readonly slope: number;
  readonly intercept: number;
  /** Coefficient of determination, 0..1 (1 when every point lies on the line). */
  readonly r2: number;
  readonly n: number;
}

/**
 * Ordinary least squares of y on x. Returns null with fewer than two distinct x values.
 *
 * @example
 * fitLine([[0, 1], [1, 3], [2, 5]]) // { slope: 2, intercept: 1, r2: 1, n: 3 }
 */
export function fitLine(points: readonly (readonly [x: number, y: number])[]): LinearFit | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  // A flat series is explained perfectly by a flat line.
  const r2 = syy === 0 ? 1 : Math.max(0, Math.min(1, (sxy * sxy) / (sxx * syy)));
  return { slope, intercept, r2, n };
}

export interface FullForecast {
  readonly growthPerDay: number;
  /** Days from `atDay` until the fitted line reaches capacity; null when not growing. */
  readonly daysUntilFull: number | null;
  readonly r2: number;
  readonly n: number;
}

/**
 * Days until a datastore is full, from daily peaks of used space (x in days). The fitted line is
 * evaluated at `atDay` (today), so a noisy last point does not move the answer by itself.
 * Fewer than `minDays` days of history give no forecast.
 */
export function forecastFull(
  peaks: readonly (readonly [day: number, usedBytes: number])[],
  capacityBytes: number,
  atDay: number,
  minDays = 3,
): FullForecast | null {
  if (peaks.length < minDays) return null;
  const fit = fitLine(peaks);
  if (!fit) return null;
  if (fit.slope <= 0) return { growthPerDay: fit.slope, daysUntilFull: null, r2: fit.r2, n: fit.n };
  const usedNow = fit.intercept + fit.slope * atDay;
  const days = Math.max(0, (capacityBytes - usedNow) / fit.slope);
  return { growthPerDay: fit.slope, daysUntilFull: days, r2: fit.r2, n: fit.n };
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
