import { describe, expect, it } from 'vitest';
import type { VimValue } from './codec.js';
import { InventoryCache, certificateExpiry, compactProperty, mapObject } from './mapper.js';

// A self-signed P-256 certificate, valid until 2036-11-21T08:42:51Z.
const PEM = `-----BEGIN CERTIFICATE-----
MIIBjjCCATOgAwIBAgIUYQSdKEkky44jehDwQMY9bsAvOGkwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRZXN4MS5leGFtcGxlLnRlc3QwHhcNMjYxMTI0MDg0MjUxWhcN
MzYxMTIxMDg0MjUxWjAcMRowGAYDVQQDDBFlc3gxLmV4YW1wbGUudGVzdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABDqdENLmgbAap8dMzrR7CKb9e5O4WfjJDdLk
Qm/OLbTD4J2hGqTrCenu+FecBPzZzoovO8NMTwVfnylo4khi/eCjUzBRMB0GA1Ud
DgQWBBQSuwYo4FhM9EpDPiszCQcEciw6HjAfBgNVHSMEGDAWgBQSuwYo4FhM9EpD
PiszCQcEciw6HjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQC/
dqYU3IkvC69jcNhBa6HMDJqNA+QXDa+yNvL8hJJZEwIhAJ4r52GJ8LshB58a73wU
DMJV/OmJ24FsMGzVWgHeoSPs
-----END CERTIFICATE-----
`;
const EXPIRES = '2036-11-21T08:42:51.000Z';

describe('certificateExpiry', () => {
  it('reads the PEM bytes vSphere sends as an xsd:byte array', () => {
    const bytes = [...Buffer.from(PEM, 'latin1')];
    expect(certificateExpiry(bytes)).toBe(EXPIRES);
    // <byte> elements without an xsi:type decode as text.
    expect(certificateExpiry(bytes.map(String))).toBe(EXPIRES);
  });

  it('reads PEM text and base64 of it', () => {
    expect(certificateExpiry(PEM)).toBe(EXPIRES);
    expect(certificateExpiry(Buffer.from(PEM).toString('base64'))).toBe(EXPIRES);
  });

  it('gives null for what is not a certificate', () => {
    expect(certificateExpiry(undefined)).toBeNull();
    expect(certificateExpiry('10')).toBeNull(); // vcsim's placeholder bytes
    expect(certificateExpiry(PEM.replace('MIIBjjCC', 'AAAAAAAA'))).toBeNull();
    expect(certificateExpiry([{ _type: 'x' }])).toBeNull();
  });
});

describe('health fields', () => {
  const cache = new InventoryCache();
  const props = (entries: Record<string, VimValue>): Map<string, VimValue> =>
    new Map(Object.entries(entries));

  it('maps host services, NTP servers and the certificate', () => {
    const services: VimValue = [
      { _type: 'HostService', key: 'TSM-SSH', running: true, label: 'SSH', policy: 'on' },
      { _type: 'HostService', key: 'TSM', running: false },
      { _type: 'HostService', key: 'DCUI', running: true },
    ];
    const host = {
      ref: { type: 'HostSystem', value: 'host-9' },
      props: props({
        name: 'esx9',
        'config.service.service': compactProperty('HostSystem', 'config.service.service', services),
        'config.dateTimeInfo.ntpConfig.server': ['0.pool.ntp.org', '1.pool.ntp.org'],
        'config.certificate': [...Buffer.from(PEM, 'latin1')],
      }),
    };
    expect(mapObject(cache, host)[0]?.fields).toMatchObject({
      sshEnabled: true,
      shellEnabled: false,
      ntpRunning: false, // listed services without ntpd: it does not run
      ntpServers: ['0.pool.ntp.org', '1.pool.ntp.org'],
      certificateExpiresAt: EXPIRES,
    });
    const bare = { ref: { type: 'HostSystem', value: 'host-8' }, props: props({ name: 'esx8' }) };
    expect(mapObject(cache, bare)[0]?.fields).toMatchObject({
      sshEnabled: null,
      shellEnabled: null,
      ntpRunning: null,
      ntpServers: null, // no config read (a disconnected host): unknown, not "none configured"
      certificateExpiresAt: null,
    });
  });

  it('maps a connected floppy and the partitions the guest reports', () => {
    const disks: VimValue = [
      {
        _type: 'GuestDiskInfo',
        diskPath: 'C:\\',
        capacity: '107374182400',
        freeSpace: '5368709120',
      },
      { _type: 'GuestDiskInfo', diskPath: '/boot', capacity: 1_000_000, freeSpace: 400_000 },
    ];
    const vm = {
      ref: { type: 'VirtualMachine', value: 'vm-9' },
      props: props({
        name: 'app-9',
        'config.hardware.device': [
          { _type: 'VirtualFloppy', key: '8000', connectable: { connected: true } },
          { _type: 'VirtualCdrom', key: '3000', connectable: { connected: false } },
        ],
        'guest.disk': compactProperty('VirtualMachine', 'guest.disk', disks),
      }),
    };
    expect(mapObject(cache, vm)[0]?.fields).toMatchObject({
      floppyConnected: true,
      cdromConnected: false,
      guestDisks: [
        { path: 'C:\\', capacityBytes: 107374182400, freeBytes: 5368709120 },
        { path: '/boot', capacityBytes: 1_000_000, freeBytes: 400_000 },
      ],
    });
  });
});
