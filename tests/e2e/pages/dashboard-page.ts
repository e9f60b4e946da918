import type { Locator, Page } from 'playwright-core';

/** Page object for the Dashboard: its count cards and its regions. */
export class DashboardPage {
  constructor(readonly page: Page) {}

  region(): Locator {
    return this.page.getByRole('region', { name: 'Dashboard' });
  }

  /** Text anywhere on the dashboard ("No endpoints yet"). */
  text(text: string): Locator {
    return this.region().getByText(text);
  }

  button(name: string): Locator {
    return this.region().getByRole('button', { name });
  }

  /** A count card ("Powered-off VMs", "Critical alerts"...). */
  card(name: string): Locator {
    return this.page.getByRole('group', { name, exact: true });
  }

  /** The number a card shows (its first line). */
  async count(name: string): Promise<number> {
    return Number((await this.card(name).innerText()).split('\n')[0]);
  }

  /** Opens the table behind a card. */
  async openCard(name: string): Promise<void> {
    await this.card(name).getByRole('button').click();
  }

  /** Text within a region of the dashboard ("Last sync per endpoint", "Capacity by cluster"). */
  regionText(region: string, text: string): Locator {
    return this.page.getByRole('region', { name: region }).getByText(text);
  }
}
