import { describe, expect, it } from 'vitest';
import { maskLicenseKey, mapLicense, wwn } from './host-config.js';

describe('host config values', () => {
  it('writes a world wide name as 16 hex digits, a negative xsd:long as its unsigned bits', () => {
    // 0x2000002590123456 and 0xA000002590123456 (the second has the sign bit set).
    expect(wwn('2305843170544596054')).toBe('20:00:00:25:90:12:34:56');
    expect(wwn(String(BigInt.asIntN(64, 0xa000002590123456n)))).toBe('a0:00:00:25:90:12:34:56');
    expect(wwn(undefined)).toBeNull();
    expect(wwn('not a number')).toBeNull();
  });

  it('masks every group of a license key but the last', () => {
    expect(maskLicenseKey('AB12C-3DE45-F6G78-HJ9K0-LMN12')).toBe('*****-*****-*****-*****-LMN12');
    expect(maskLicenseKey('ABCDEFGHIJ')).toBe('*****FGHIJ');
  });

  it('keeps a license key only masked, with its features, expiry and a stable digest id', () => {
    const raw = {
      _type: 'LicenseManagerLicenseInfo',
      licenseKey: 'AB12C-3DE45-F6G78-HJ9K0-LMN12',
      editionKey: 'esx.enterprisePlus.cpuPackage',
      name: 'VMware vSphere 8 Enterprise Plus',
      total: '16',
      used: '6',
      costUnit: 'cpuPackage',
      properties: [
        { _type: 'KeyAnyValue', key: 'expirationDate', value: '2027-01-31T00:00:00Z' },
        {
          _type: 'KeyAnyValue',
          key: 'feature',
          value: { _type: 'KeyValue', key: 'vmotion', value: 'vMotion' },
        },
        {
          _type: 'KeyAnyValue',
          key: 'feature',
          value: { _type: 'KeyValue', key: 'drs', value: 'DRS' },
        },
      ],
    };
    const e = mapLicense(raw);
    expect(e).toMatchObject({
      type: 'license',
      name: 'VMware vSphere 8 Enterprise Plus',
      fields: {
        maskedKey: '*****-*****-*****-*****-LMN12',
        total: 16,
        used: 6,
        costUnit: 'cpuPackage',
        expiresAt: '2027-01-31T00:00:00Z',
        features: ['vMotion', 'DRS'],
      },
    });
    expect(JSON.stringify(e)).not.toContain('AB12C');
    expect(mapLicense(raw)?.id).toBe(e?.id);
    expect(mapLicense({ ...raw, licenseKey: 'ZZZZZ-3DE45-F6G78-HJ9K0-LMN12' })?.id).not.toBe(e?.id);
  });
});
