import { beforeEach, describe, expect, it, vi } from 'vitest';

const shown: { title: string; body: string; silent: boolean }[] = [];
const clicks: (() => void)[] = [];
let supported = true;

vi.mock('electron', () => {
  class Notification {
    static isSupported(): boolean {
      return supported;
    }
    constructor(private readonly opts: { title: string; body: string; silent: boolean }) {}
    on(event: string, fn: () => void): void {
      if (event === 'click') clicks.push(fn);
    }
    show(): void {
      shown.push(this.opts);
    }
  }
  return { Notification };
});

const { electronNotifier } = await import('./notifier.js');

beforeEach(() => {
  shown.length = 0;
  clicks.length = 0;
  supported = true;
});

describe('desktop notifications', () => {
  it('shows critical alerts with sound and focuses the window on click', () => {
    const focused: number[] = [];
    const n = electronNotifier((id) => focused.push(id));
    n.notify({
      title: 'Datastore ds1 is 93 % full',
      body: 'vc-lab',
      severity: 'critical',
      alertId: 7,
    });
    expect(shown).toEqual([{ title: 'Datastore ds1 is 93 % full', body: 'vc-lab', silent: false }]);
    clicks[0]!();
    expect(focused).toEqual([7]);
  });

  it('does nothing where the OS has no notifications', () => {
    supported = false;
    electronNotifier(() => undefined).notify({
      title: 't',
      body: 'b',
      severity: 'critical',
      alertId: 1,
    });
    expect(shown).toEqual([]);
  });
});
