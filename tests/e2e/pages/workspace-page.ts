import type { Locator, Page } from 'playwright-core';
import { AppPage } from './app-page.js';

/** Page object for the inventory workspace: tables, quick filters, the detail panel, the palette. */
export class WorkspacePage {
  readonly app: AppPage;

  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  async open(label: string, heading: string): Promise<void> {
    await this.app.open(label);
    await this.app.heading(heading).waitFor();
  }

  table(title: string): Locator {
    return this.app.table(title);
  }

  rows(title: string): Locator {
    return this.table(title).locator('.tr:not(.loading)');
  }

  row(title: string, text: string): Locator {
    return this.rows(title).filter({ hasText: text }).first();
  }

  header(title: string, label: string): Locator {
    return this.table(title).getByRole('columnheader').filter({ hasText: label }).first();
  }

  async sortBy(title: string, label: string, shift = false): Promise<void> {
    await this.header(title, label)
      .locator('.th-sort')
      .click(shift ? { modifiers: ['Shift'] } : {});
  }

  /** The funnel button of a column's header. */
  columnFilter(title: string, label: string): Locator {
    return this.table(title).getByRole('button', { name: `Filter ${label}`, exact: true });
  }

  columnsButton(): Locator {
    return this.page.getByRole('button', { name: 'Columns' });
  }

  async filterRange(title: string, label: string, min: string, max = ''): Promise<void> {
    await this.columnFilter(title, label).click();
    const pop = this.page.getByRole('dialog', { name: `Filter ${label}` });
    await pop.getByLabel(`${label} at least`).fill(min);
    await pop.getByLabel(`${label} at most`).fill(max);
    await pop.getByRole('button', { name: 'Apply' }).click();
  }

  async filterText(title: string, label: string, text: string): Promise<void> {
    await this.columnFilter(title, label).click();
    const pop = this.page.getByRole('dialog', { name: `Filter ${label}` });
    await pop.getByLabel(`${label} contains`).fill(text);
    await pop.getByRole('button', { name: 'Apply' }).click();
  }

  chip(label: string): Locator {
    return this.page
      .getByRole('toolbar', { name: 'Quick filters' })
      .getByRole('button', { name: label, exact: true });
  }

  /** A choice of the quick-filter bar (Endpoint, Cluster, Tag). */
  quickSelect(label: string): Locator {
    return this.page
      .getByRole('toolbar', { name: 'Quick filters' })
      .getByRole('combobox', { name: label });
  }

  /** The selection count or the last action's notice, at the end of the quick-filter bar. */
  status(text: string): Locator {
    return this.page.getByRole('toolbar', { name: 'Quick filters' }).getByText(text);
  }

  rowMenu(): Locator {
    return this.page.getByRole('menu', { name: 'Row actions' });
  }

  /** What a copy put on the clipboard. */
  clipboard(): Promise<string> {
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  /** The "Clear the scope" button an empty table offers. */
  clearScopeInTable(): Locator {
    return this.page.getByRole('button', { name: 'Clear the scope' }).last();
  }

  clearFilters(): Locator {
    return this.page
      .getByRole('toolbar', { name: 'Quick filters' })
      .getByRole('button', { name: 'Clear filters' });
  }

  count(): Locator {
    return this.app.rowCount();
  }

  async waitForCount(text: string): Promise<void> {
    await this.page.waitForFunction(
      (t) => document.querySelector('[data-testid="row-count"]')?.textContent === t,
      text,
      { timeout: 10_000 },
    );
  }

  panel(name?: string | RegExp): Locator {
    return name
      ? this.page.getByRole('complementary', { name })
      : this.page.locator('aside.detail-panel');
  }

  /** Text shown in a detail panel. */
  panelText(panel: Locator, text: string): Locator {
    return panel.getByText(text);
  }

  /** The open-alert badge of a table row ("2 open alerts, highest warning"). */
  alertBadge(row: Locator): Locator {
    return row.getByRole('img', { name: /open alert/ });
  }

  /** The "Open alerts of ..." section of a detail panel. */
  panelAlerts(panel: Locator, name: string): Locator {
    return panel.getByRole('group', { name: `Open alerts of ${name}` });
  }

  /** A link (to a related entity, or Back) in a detail panel. */
  panelLink(panel: Locator, name: string): Locator {
    return panel.getByRole('button', { name });
  }

  palette(): Locator {
    return this.page.getByRole('dialog', { name: 'Search everything' });
  }

  paletteHits(): Locator {
    return this.palette().getByRole('option');
  }

  /** The names of the palette's hits, in order. */
  paletteHitNames(): Locator {
    return this.palette().locator('[role=option] .hit-name');
  }

  /** The palette's "Only in the scope ..." checkbox. */
  paletteScopeOnly(name: RegExp): Locator {
    return this.palette().getByRole('checkbox', { name });
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `.tmp/screenshots/${name}.png` });
  }
}
