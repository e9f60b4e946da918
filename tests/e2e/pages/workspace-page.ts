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
    await this.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
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

  async filterRange(title: string, label: string, min: string, max = ''): Promise<void> {
    await this.table(title)
      .getByRole('button', { name: `Filter ${label}`, exact: true })
      .click();
    const pop = this.page.getByRole('dialog', { name: `Filter ${label}` });
    await pop.getByLabel(`${label} at least`).fill(min);
    await pop.getByLabel(`${label} at most`).fill(max);
    await pop.getByRole('button', { name: 'Apply' }).click();
  }

  async filterText(title: string, label: string, text: string): Promise<void> {
    await this.table(title)
      .getByRole('button', { name: `Filter ${label}`, exact: true })
      .click();
    const pop = this.page.getByRole('dialog', { name: `Filter ${label}` });
    await pop.getByLabel(`${label} contains`).fill(text);
    await pop.getByRole('button', { name: 'Apply' }).click();
  }

  chip(label: string): Locator {
    return this.page
      .getByRole('toolbar', { name: 'Quick filters' })
      .getByRole('button', { name: label, exact: true });
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

  palette(): Locator {
    return this.page.getByRole('dialog', { name: 'Search everything' });
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `.tmp/screenshots/${name}.png` });
  }
}
