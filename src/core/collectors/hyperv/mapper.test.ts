import { describe, expect, it } from 'vitest';
import { diskKind, formatMac, hostIdOf, vlanOf, vmPowerState } from './mapper.js';

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
