import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity, FieldValue } from '../../shared/entities.js';
import { evaluateEndpoint } from './engine.js';
import { alertHistory, listAlerts } from './repository.js';
import { updateRule } from './rule-configs.js';
import { writeFullInventory } from '../inventory/writer.js';
import { alertListSchema } from '../../shared/alerts.js';
import type { AlertDto } from '../../shared/alerts.js';
import type { Store } from '../store/sqlite.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
} from '../../../tests/helpers/store.js';

/*
 * The host and guest health rules (SSH / ESXi Shell, NTP, host certificate, CD-ROM or floppy,
 * guest partitions) over scripted histories: each raises, follows the change, and clears.
 */

type Overrides = Record<string, Record<string, FieldValue>>;

function inventory(over: Overrides = {}): CollectedEntity[] {
  return sampleInventory(3).map((e) =>
    over[e.id] ? { ...e, fields: { ...e.fields, ...over[e.id] } } : e,
  );
}

const T0 = new Date('2026-11-10T08:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const inDays = (days: number): string => new Date(T0.getTime() + days * 86_400_000).toISOString();
const GIB = 2 ** 30;

afterAll(stopSharedPostgres);

describe.each(ENGINES)('health rules over scripted histories (%s store)', (engine) => {
  let store: Store;
  let ep: number;
  beforeEach(async () => {
    store = await openTestStore(engine);
    ep = await addEndpoint(store.db);
  });
  afterEach(async () => {
    await store.close();
  });

  const write = (now: Date, over: Overrides = {}) =>
    writeFullInventory(
      store.db,
      { entities: inventory(over) },
      { endpointId: ep, syncRunId: null, now },
    );
  const evaluate = (now: Date) => evaluateEndpoint(store.db, ep, { now });
  const open = async (now: Date, rule: string): Promise<AlertDto[]> =>
    listAlerts(store.db, alertListSchema.parse({ rule }), now);
  const history = async (id: number): Promise<string[]> =>
    (await alertHistory(store.db, id)).map((h) => h.action);

  it('raises SSH / ESXi Shell enabled, follows the change and clears', async () => {
    // Unknown (the helper hosts report nothing) is no finding.
    await write(at(0));
    await evaluate(at(0));
    expect(await open(at(0), 'host-ssh-shell')).toEqual([]);
    await write(at(15), { 'host-1': { sshEnabled: true, shellEnabled: false } });
    await evaluate(at(15));
    const [a] = await open(at(15), 'host-ssh-shell');
    expect(a).toMatchObject({ severity: 'warning', entityType: 'host', entityId: 'host-1' });
    expect(a!.message).toBe('Host esx1.example.test has SSH enabled');
    await write(at(30), { 'host-1': { sshEnabled: true, shellEnabled: true } });
    await evaluate(at(30));
    const [b] = await open(at(30), 'host-ssh-shell');
    expect(b).toMatchObject({ id: a!.id, count: 1 });
    expect(b!.message).toBe('Host esx1.example.test has SSH and ESXi Shell enabled');
    await write(at(45), { 'host-1': { sshEnabled: false, shellEnabled: false } });
    expect((await evaluate(at(45))).cleared).toBe(1);
    expect(await open(at(45), 'host-ssh-shell')).toEqual([]);
    expect(await history(a!.id)).toEqual(['raised', 'cleared']);
  });

  it('raises NTP not configured or not running, and clears when both are right', async () => {
    const good = { ntpRunning: true, ntpServers: ['0.pool.ntp.org'] };
    await write(at(0), { 'host-1': good });
    await evaluate(at(0));
    expect(await open(at(0), 'host-ntp')).toEqual([]);
    await write(at(15), { 'host-1': { ntpRunning: true, ntpServers: [] } });
    await evaluate(at(15));
    const [a] = await open(at(15), 'host-ntp');
    expect(a).toMatchObject({ severity: 'warning', entityId: 'host-1' });
    expect(a!.message).toBe('Host esx1.example.test has no NTP server configured');
    await write(at(30), { 'host-1': { ntpRunning: false, ntpServers: ['0.pool.ntp.org'] } });
    await evaluate(at(30));
    const [b] = await open(at(30), 'host-ntp');
    expect(b).toMatchObject({ id: a!.id });
    expect(b!.message).toBe('Host esx1.example.test has NTP not running');
    await write(at(45), { 'host-1': { ntpRunning: false, ntpServers: [] } });
    await evaluate(at(45));
    expect((await open(at(45), 'host-ntp'))[0]!.message).toBe(
      'Host esx1.example.test has no NTP server configured and NTP not running',
    );
    await write(at(60), { 'host-1': good });
    expect((await evaluate(at(60))).cleared).toBe(1);
    expect(await open(at(60), 'host-ntp')).toEqual([]);
  });

  it('raises a host certificate expiring within 60 days, escalates once expired, clears on renewal', async () => {
    await write(at(0), { 'host-2': { certificateExpiresAt: inDays(61) } });
    await evaluate(at(0));
    expect(await open(at(0), 'host-certificate-expiring')).toEqual([]);
    // A day later the certificate is 60 days from expiry: inside the window.
    await write(at(24 * 60), { 'host-2': { certificateExpiresAt: inDays(61) } });
    await evaluate(at(24 * 60 + 1));
    const [a] = await open(at(24 * 60 + 1), 'host-certificate-expiring');
    expect(a).toMatchObject({ severity: 'warning', entityId: 'host-2' });
    expect(a!.message).toBe(
      'The certificate of host esx2.example.test expires in 59 days (2027-01-10)',
    );
    // Expired: the same alert turns critical.
    const later = at(62 * 24 * 60);
    await write(later, { 'host-2': { certificateExpiresAt: inDays(61) } });
    await evaluate(later);
    const [b] = await open(later, 'host-certificate-expiring');
    expect(b).toMatchObject({ id: a!.id, severity: 'critical' });
    expect(b!.message).toBe('The certificate of host esx2.example.test expired on 2027-01-10');
    expect(await history(a!.id)).toEqual(['raised', 'escalated']);
    // Renewed for a year: cleared.
    await write(at(62 * 24 * 60 + 15), { 'host-2': { certificateExpiresAt: inDays(62 + 365) } });
    expect((await evaluate(at(62 * 24 * 60 + 15))).cleared).toBe(1);
  });

  it('raises a connected CD-ROM or floppy and clears when both are disconnected', async () => {
    await write(at(0), { 'vm-2': { floppyConnected: true } });
    await evaluate(at(0));
    const [a] = await open(at(0), 'vm-cdrom-connected');
    expect(a).toMatchObject({ severity: 'info', entityId: 'vm-2' });
    expect(a!.message).toMatch(/^VM \S+ has a floppy connected$/);
    await write(at(15), { 'vm-2': { floppyConnected: true, cdromConnected: true } });
    await evaluate(at(15));
    expect((await open(at(15), 'vm-cdrom-connected'))[0]!.message).toMatch(
      /has a CD-ROM and a floppy connected$/,
    );
    await write(at(30), { 'vm-2': { floppyConnected: false, cdromConnected: false } });
    expect((await evaluate(at(30))).cleared).toBe(1);
    expect(await open(at(30), 'vm-cdrom-connected')).toEqual([]);
  });

  it('raises guest partitions below 10 % free, honours an edited threshold and clears', async () => {
    const disks = (cFree: number, dFree: number): Overrides => ({
      'vm-1': {
        guestDisks: [
          { path: 'C:\\', capacityBytes: 100 * GIB, freeBytes: cFree * GIB },
          { path: 'D:\\', capacityBytes: 100 * GIB, freeBytes: dFree * GIB },
        ],
      },
      // A guest that reports nothing, and one whose partition has no capacity: no finding.
      'vm-2': { guestDisks: [] },
      'vm-3': { guestDisks: [{ path: '/', capacityBytes: 0, freeBytes: 0 }] },
    });
    await write(at(0), disks(50, 20));
    await evaluate(at(0));
    expect(await open(at(0), 'vm-guest-disk-free')).toEqual([]);
    await write(at(15), disks(50, 5));
    await evaluate(at(15));
    const [a] = await open(at(15), 'vm-guest-disk-free');
    expect(a).toMatchObject({ severity: 'warning', entityId: 'vm-1' });
    expect(a!.message).toMatch(/has partitions below 10\.0 % free: D:\\ 5\.0 % free$/);
    expect(a!.details['partitions']).toEqual([{ path: 'D:\\', freePercent: 5 }]);
    await updateRule(
      store.db,
      { rule: 'vm-guest-disk-free', params: { minFreePercent: 60 } },
      'alice',
      at(16),
    );
    await evaluate(at(16));
    expect((await open(at(16), 'vm-guest-disk-free'))[0]).toMatchObject({ id: a!.id });
    expect((await open(at(16), 'vm-guest-disk-free'))[0]!.message).toMatch(
      /below 60\.0 % free: C:\\ 50\.0 % free, D:\\ 5\.0 % free$/,
    );
    await updateRule(
      store.db,
      { rule: 'vm-guest-disk-free', params: { minFreePercent: 10 } },
      'alice',
      at(17),
    );
    await write(at(30), disks(50, 30));
    expect((await evaluate(at(30))).cleared).toBe(1);
    expect(await open(at(30), 'vm-guest-disk-free')).toEqual([]);
  });
});
