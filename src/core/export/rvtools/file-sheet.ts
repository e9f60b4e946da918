import type { EntityRecord } from '../records.js';
import type { InventorySource } from '../source.js';
import { records } from '../source.js';
import type { RvColumn } from './table.js';
import { none } from './table.js';
import type { SheetPlan } from './host-columns.js';
import { col, field, planIf, sdk } from './host-columns.js';

/**
 * vFileInfo: RVTools' optional datastore file listing (its GetFileInfo option). Rows come from the
 * `datastoreFile` entities a sync stores when the listing is asked for (`sync --file-info`, the
 * endpoint's setting; off by default, slow on large estates); without one the sheet is written
 * with its headers and no rows, as RVTools writes it with the option off.
 */
export function fileInfoSheet(source: InventorySource): SheetPlan[] {
  const files = [...records(source, 'datastoreFile')].sort(
    (a, b) =>
      a.ep.key.localeCompare(b.ep.key) ||
      String(a.fields['path'] ?? '').localeCompare(String(b.fields['path'] ?? '')),
  );
  const cols: RvColumn<EntityRecord>[] = [
    field(
      'Friendly Path Name',
      'text',
      'the datastore path: [datastore] + HostDatastoreBrowserSearchResults.folderPath + FileInfo.path',
      'path',
      60,
    ),
    col('File Name', 'text', 'FileInfo.path (the name within its folder)', (r) => r.name, 36),
    field(
      'File Type',
      'text',
      'the FileInfo data object type (VmDiskFileInfo, VmConfigFileInfo, FolderFileInfo, FileInfo…)',
      'fileType',
      20,
    ),
    field('File Size in bytes', 'int', 'FileInfo.fileSize', 'sizeBytes'),
    field('Path', 'text', 'HostDatastoreBrowserSearchResults.folderPath', 'folderPath', 40),
    none(
      'Internal Sort Column',
      'text',
      'RVTools’ own ordering key, not a vSphere property: rows are written sorted by Friendly Path Name instead',
    ),
    ...sdk((r: EntityRecord) => r.ep),
  ];
  return planIf('vFileInfo', cols, files);
}
