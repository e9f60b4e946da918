/**
 * Drives host maintenance mode in vcsim through the test driver's own vim25 session, the way an
 * operator would (kept apart from tests/vsphere/helpers.ts, which another suite owns).
 */
import { bool, textXml } from '../../src/core/collectors/vsphere/codec.js';
import type { MoRef } from '../../src/core/collectors/vsphere/codec.js';
import type { SimDriver } from '../vsphere/helpers.js';

export async function enterMaintenance(driver: SimDriver, host: MoRef): Promise<void> {
  await driver.client.runTask('EnterMaintenanceMode_Task', host, textXml('timeout', 0));
}

export async function exitMaintenance(driver: SimDriver, host: MoRef): Promise<void> {
  await driver.client.runTask('ExitMaintenanceMode_Task', host, textXml('timeout', 0));
}

/** vcsim's own word on whether the host is in maintenance mode. */
export async function inMaintenance(driver: SimDriver, host: MoRef): Promise<boolean | null> {
  const [content] = await driver.client.retrieveProps([host], ['runtime.inMaintenanceMode']);
  return bool(content?.props.get('runtime.inMaintenanceMode'));
}
