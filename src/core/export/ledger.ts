/**
 * The files exports of this run wrote, by export id: the only files a host hands out afterwards
 * (desktop "Show in folder", the serve download). Keeps the newest `max` (a session exports a
 * handful; the bound is a guard).
 */
export interface ExportLedger {
  record(exportId: string, file: string): void;
  fileOf(exportId: string): string | undefined;
}

export function createExportLedger(max = 200): ExportLedger {
  const files = new Map<string, string>();
  return {
    record(exportId, file) {
      files.delete(exportId);
      files.set(exportId, file);
      if (files.size > max) files.delete(files.keys().next().value!);
    },
    fileOf: (exportId) => files.get(exportId),
  };
}
