import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { barWidth, progressLine } from './progress.js';

function capture(columns?: number): { ctx: Parameters<typeof progressLine>[0]; text(): string } {
  let text = '';
  const err = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { ctx: { err, ...(columns !== undefined ? { columns } : {}) }, text: () => text };
}

describe('the progress line', () => {
  it('sizes the bar to the terminal and never writes past its edge', () => {
    expect([barWidth(undefined), barWidth(20), barWidth(100), barWidth(400)]).toEqual([
      20, 10, 25, 30,
    ]);
    const narrow = capture(40);
    progressLine(narrow.ctx).draw('x'.repeat(100), { frac: 0.5 });
    const drawn = narrow.text().slice(1, -'\u001b[K'.length);
    expect(drawn).toHaveLength(39);
    expect(drawn.startsWith(`[${'#'.repeat(5)}${'-'.repeat(5)}] xxx`)).toBe(true);
  });

  it('redraws at most every interval unless forced, and clears only what it drew', () => {
    const c = capture(80);
    const line = progressLine(c.ctx, 60_000);
    line.clear();
    expect(c.text()).toBe('');
    line.draw('one');
    line.draw('two');
    line.draw('three', { force: true });
    line.clear();
    expect(c.text()).toBe('\rone\u001b[K\rthree\u001b[K\r\u001b[K');
  });
});
