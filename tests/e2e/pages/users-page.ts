import type { Locator, Page } from 'playwright-core';
import { AppPage } from './app-page.js';

/** Page object for the team server's Users page (admins only). */
export class UsersPage {
  readonly app: AppPage;

  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  async open(): Promise<void> {
    await this.app.open('Users');
    await this.app.heading('Users').waitFor();
  }

  accounts(): Locator {
    return this.page.getByRole('table', { name: 'Account list' });
  }

  /** The account's row, found by its role list (the name cell may carry a "you" badge). */
  row(name: string): Locator {
    return this.accounts()
      .locator('tbody tr')
      .filter({ has: this.page.getByLabel(`Role of ${name}`, { exact: true }) });
  }

  async add(name: string, role: string, password: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Add an account' });
    await form.getByLabel('Account name').fill(name);
    await form.getByLabel('New account role').selectOption(role);
    await form.getByLabel('Initial password').fill(password);
    await form.getByRole('button', { name: 'Add account' }).click();
    await this.row(name).waitFor();
  }
}
