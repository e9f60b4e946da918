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

  /** A named section of the page ("About" in Settings). */
  region(name: string): Locator {
    return this.page.getByRole('region', { name });
  }

  /** The page's title. */
  heading(name: string): Locator {
    return this.page.getByRole('heading', { name, level: 1 });
  }

  /** The scope selector in the shell: one endpoint or one tag for every page. */
  scope(): Locator {
    return this.page.getByRole('group', { name: 'Scope' });
  }

  scopeEndpoint(): Locator {
    return this.scope().getByRole('combobox', { name: 'Scope endpoint' });
  }

  scopeTag(): Locator {
    return this.scope().getByRole('combobox', { name: 'Scope tag' });
  }

  /** The choices of the scope's endpoint or tag list. */
  scopeChoices(which: 'endpoint' | 'tag'): Promise<string[]> {
    const list = which === 'endpoint' ? this.scopeEndpoint() : this.scopeTag();
    return list.locator('option').allInnerTexts();
  }

  async clearScope(): Promise<void> {
    await this.scope().getByRole('button', { name: 'Clear the scope' }).click();
  }

  /** The note under a page's title that says which scope it shows. */
  scopeNote(text: string): Locator {
    return this.page.locator('.page-header .scope-note', { hasText: text });
  }

  shortcutsHelp(): Locator {
    return this.page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  }

  async setTheme(theme: string): Promise<void> {
    await this.page.getByRole('combobox', { name: 'Theme' }).selectOption(theme);
  }

  /** The theme the document shows now. */
  theme(): Promise<string | undefined> {
    return this.page.evaluate(() => document.documentElement.dataset['theme']);
  }

  /** Clicks an empty spot of the window, so no control has the keyboard. */
  async clickBackground(): Promise<void> {
    await this.page.locator('body').click({ position: { x: 5, y: 895 } });
  }
}
