import type { Locator, Page } from 'playwright-core';

/** Page object for the app shell and its inventory tables. */
export class AppPage {
  constructor(readonly page: Page) {}

  nav(label: string): Locator {
    return this.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: label, exact: true });
  }

  async open(label: string): Promise<void> {
    await this.nav(label).click();
  }

  table(name: string): Locator {
    return this.page.getByRole('table', { name: `${name} table` });
  }

  rows(name: string): Locator {
    return this.table(name).locator('.tr');
  }

  rowCount(): Locator {
    return this.page.getByTestId('row-count');
  }

  search(): Locator {
    return this.page.getByRole('searchbox', { name: 'Search' });
  }
}
