import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../../tests/hyperv/helpers.js';
import { diskKind, formatMac, hostIdOf, mapInventory, vlanOf, vmPowerState } from './mapper.js';
import { endpointDocSchema, nodesDocSchema } from './schema.js';

describe('Hyper-V → normalized model conversions', () => {
  it('maps every VMState name (the Microsoft.HyperV.PowerShell.VMState enum)', () => {
    const table: [string, string][] = [
      ['Running', 'poweredOn'],
      ['Off', 'poweredOff'],
      ['Saved', 'suspended'],
      ['Paused', 'suspended'],
      // Everything else is kept as Hyper-V names it.
      ['Other', 'Other'],
      ['Stopping', 'Stopping'],
      ['Starting', 'Starting'],
      ['Reset', 'Reset'],
      ['Saving', 'Saving'],
      ['Pausing', 'Pausing'],
      ['Resuming', 'Resuming'],
      ['FastSaved', 'FastSaved'],
      ['FastSaving', 'FastSaving'],
      ['RunningCritical', 'RunningCritical'],
      ['OffCritical', 'OffCritical'],
      ['SavedCritical', 'SavedCritical'],
      ['PausedCritical', 'PausedCritical'],
    ];
    for (const [state, power] of table) expect(vmPowerState(state), state).toBe(power);
  });

  it('maps VHD types (and pass-through disks) to disk mode and thin provisioning', () => {
    expect(diskKind('Dynamic', false)).toEqual({ diskMode: 'dynamic', thin: true });
    expect(diskKind('Differencing', false)).toEqual({ diskMode: 'differencing', thin: true });
    expect(diskKind('Fixed', false)).toEqual({ diskMode: 'fixed', thin: false });
    expect(diskKind('Unknown', false)).toEqual({ diskMode: 'unknown', thin: null });
    expect(diskKind(null, true)).toEqual({ diskMode: 'passthrough', thin: null });
    expect(diskKind(null, false)).toEqual({ diskMode: null, thin: null });
  });

  it('formats MAC addresses as vSphere does, dropping the unassigned dynamic MAC', () => {
    expect(formatMac('00155D010203')).toBe('00:15:5d:01:02:03');
    expect(formatMac('00-15-5D-01-02-0A')).toBe('00:15:5d:01:02:0a');
    expect(formatMac('000000000000')).toBeNull();
    expect(formatMac(null)).toBeNull();
    expect(formatMac('123')).toBeNull();
  });

  it('writes VLANs like vSphere port groups', () => {
    const v = (OperationMode: string, AccessVlanId: number | null, extra = {}): string | null =>
      vlanOf({
        OperationMode,
        AccessVlanId,
        NativeVlanId: 0,
        AllowedVlanIdListString: null,
        ...extra,
      });
    expect(v('Access', 20)).toBe('20');
    expect(v('Access', 0)).toBeNull();
    expect(v('Untagged', 0)).toBeNull();
    expect(v('Trunk', 0, { AllowedVlanIdListString: '1-10,20', NativeVlanId: 5 })).toBe(
      'trunk:1-10,20 native 5',
    );
    expect(v('Private', 300)).toBe('pvlan:300');
    expect(vlanOf(null)).toBeNull();
  });

  it('keys hosts by their lower-case node name', () => {
    expect(hostIdOf('HV01')).toBe('hv01');
    expect(hostIdOf('HV01.corp.example')).toBe('hv01');
  });
});

describe('Hyper-V host adapters', () => {
  it('maps physical NICs to vNIC rows and management OS adapters to vSC_VMK rows', () => {
    const doc = JSON.parse(readFileSync(join(FIXTURES, 'standalone-ps51.json'), 'utf8')) as {
      endpoint: unknown;
      nodes: Record<string, { NetAdapters: { Name: string }[]; Switches: { Name: string }[] }>;
    };
    const { entities } = mapInventory({
      endpointName: 'hv',
      endpoint: endpointDocSchema.parse(doc.endpoint),
      nodes: nodesDocSchema.parse({ Nodes: Object.values(doc.nodes) }),
    });
    const host = entities.find((e) => e.type === 'host')!;
    const nics = entities.filter((e) => e.type === 'hostNic');
    expect(nics.map((n) => n.name)).toEqual(doc.nodes['HV01']!.NetAdapters.map((a) => a.Name));
    // The fixture's first adapter is up at 10 Gb/s behind the external switch; the second is down.
    expect(nics[0]).toMatchObject({
      id: `${host.id}/pnic-Ethernet`,
      fields: {
        hostId: host.id,
        speedMb: 10_000,
        fullDuplex: true,
        macAddress: '00:1b:21:3a:4f:10',
        switchName: 'External',
        pci: null,
      },
    });
    expect(nics[1]!.fields).toMatchObject({ speedMb: null, switchName: null });
    const vmk = entities.filter((e) => e.type === 'vmkernel');
    expect(vmk).toHaveLength(1);
    expect(vmk[0]!.fields).toMatchObject({
      hostId: host.id,
      portGroup: 'External',
      ipAddress: '10.0.10.21',
      subnetMask: '255.255.255.0',
      dhcp: false,
      ipv6Addresses: ['fe80::215:5dff:fe00:a30'],
      mtu: 1500,
      gateway: null,
    });
  });
});
