import type { Locator, Page } from 'playwright-core';
import { AppPage } from './app-page.js';

/** Page object for the Export dialog and the History page (snapshots and diffs). */
export class ExportPage {
  readonly app: AppPage;

  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  // --- Export dialog ---

  dialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Export inventory' });
  }

  async openDialog(): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Export…' })
      .click();
    await this.dialog().waitFor();
  }

  format(label: RegExp): Locator {
    return this.dialog().getByRole('radio', { name: label });
  }

  /** The proposed file name (serve writes it into the data folder's exports/). */
  fileName(): Locator {
    return this.dialog().getByLabel('File name');
  }

  downloadButton(): Locator {
    return this.dialog().getByRole('button', { name: 'Download' });
  }

  startButton(): Locator {
    return this.dialog().getByRole('button', { name: 'Start export' });
  }

  /** The written file's path, shown once the export succeeded. */
  writtenFile(): Locator {
    return this.dialog().getByTestId('export-file');
  }

  // --- History page ---

  async openHistory(): Promise<void> {
    await this.app.open('History');
    await this.page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
  }

  snapshotTable(): Locator {
    return this.page.getByRole('table', { name: 'Saved snapshots' });
  }

  async saveSnapshot(label: string): Promise<void> {
    await this.page.getByLabel('Snapshot label').fill(label);
    await this.page.getByRole('button', { name: 'Save snapshot' }).click();
    await this.snapshotTable().getByRole('cell', { name: label, exact: true }).waitFor();
  }

  /** Picks A (a snapshot, by label) and B (`now` or a snapshot label) and compares them. */
  async compare(fromLabel: string, to: string): Promise<void> {
    await this.pick('From', fromLabel);
    if (to === 'now') await this.page.getByLabel('To', { exact: true }).selectOption('now');
    else await this.pick('To', to);
    await this.page.getByRole('button', { name: 'Compare' }).click();
    await this.page.getByRole('region', { name: 'Differences' }).waitFor();
  }

  private async pick(select: string, label: string): Promise<void> {
    const box = this.page.getByLabel(select, { exact: true });
    const value = await box.locator('option', { hasText: label }).first().getAttribute('value');
    await box.selectOption(value ?? '');
  }

  summaryRow(typeLabel: string): Locator {
    return this.page
      .getByRole('table', { name: 'Changes per type' })
      .getByRole('row')
      .filter({ has: this.page.getByRole('cell', { name: typeLabel, exact: true }) });
  }

  changes(): Locator {
    return this.page.getByRole('table', { name: 'Changes', exact: true }).locator('tbody tr');
  }

  changeFilter(): Locator {
    return this.page.getByRole('searchbox', { name: 'Filter changes' });
  }

  // --- Import and browse ---

  importInput(): Locator {
    return this.page.getByLabel('Import a snapshot file (RVTools .xlsx or .json.gz)');
  }

  /** Uploads `buffer` as a file named `name` through the Import… file input. */
  async importFile(name: string, buffer: Buffer): Promise<void> {
    await this.importInput().setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
  }

  async browse(label: string): Promise<void> {
    await this.snapshotTable()
      .getByRole('button', { name: `Browse ${label}` })
      .click();
    await this.browser().waitFor();
  }

  browser(): Locator {
    return this.page.getByRole('region', { name: 'Snapshot contents' });
  }

  browserRows(): Locator {
    return this.browser().getByRole('table', { name: 'Snapshot rows' }).locator('tbody tr');
  }

  browserSearch(): Locator {
    return this.browser().getByRole('searchbox', { name: 'Search snapshot rows' });
  }

  browserCount(): Locator {
    return this.browser().getByTestId('snapshot-row-count');
  }
}
