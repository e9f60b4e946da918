import type { Locator, Page } from 'playwright-core';
import { AppPage } from './app-page.js';

/** Page object for the Alerts page: the open list, its actions and an alert's history panel. */
export class AlertsPage {
  readonly app: AppPage;

  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  private region(): Locator {
    return this.page.getByRole('region', { name: 'Alerts', exact: true });
  }

  async open(): Promise<void> {
    await this.app.open('Alerts');
    await this.page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
  }

  async evaluateNow(): Promise<void> {
    await this.region().getByRole('button', { name: 'Evaluate now', exact: true }).click();
  }

  /** The row of the alert whose text contains `text`. */
  row(text: string | RegExp): Locator {
    return this.page
      .getByRole('table', { name: 'Alert list' })
      .locator('tbody tr')
      .filter({ hasText: text });
  }

  /** Selects the alert's row, writes the comment and acknowledges it. */
  async acknowledge(text: string | RegExp, comment: string): Promise<void> {
    const row = this.row(text);
    await row.getByRole('checkbox').check();
    await this.page.getByRole('textbox', { name: 'Acknowledge comment' }).fill(comment);
    await this.page
      .locator('[aria-label="Actions on selected alerts"]')
      .getByRole('button', { name: 'Acknowledge', exact: true })
      .click();
  }

  /** Opens the history panel of the alert in the row. */
  async showHistory(text: string | RegExp): Promise<Locator> {
    const row = this.row(text);
    await row.getByRole('button').first().click();
    return this.page.getByRole('region', { name: /^History of alert \d+$/ });
  }

  /** A fact of the history panel (the acknowledgement with its comment...). */
  historyFact(history: Locator, text: string | RegExp): Locator {
    return history.locator('dd').filter({ hasText: text });
  }

  /** The list of an alert's transitions in its history panel. */
  transitions(history: Locator): Locator {
    return history.getByRole('list', { name: 'Transitions' });
  }

  transition(history: Locator, text: string | RegExp): Locator {
    return this.transitions(history).getByRole('listitem').filter({ hasText: text });
  }

  /** Opens a tab of the console: Open, History, Rules or Webhooks. */
  async tab(name: 'Open' | 'History' | 'Rules' | 'Webhooks'): Promise<void> {
    await this.region().getByRole('tab', { name, exact: true }).click();
  }

  webhooks(): Locator {
    return this.page.getByRole('region', { name: 'Webhooks', exact: true });
  }

  /** Adds a webhook through the form on the Webhooks tab and waits for its row. */
  async addWebhook(name: string, url: string, minSeverity: string): Promise<void> {
    const form = this.webhooks().getByRole('form', { name: 'Add a webhook' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('URL').fill(url);
    await form.getByLabel('Minimum severity').selectOption(minSeverity);
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await this.webhookRow(name).waitFor();
  }

  /** A button of the Webhooks tab ("Send test to ops", "Disable ops"). */
  webhookButton(name: string): Locator {
    return this.webhooks().getByRole('button', { name });
  }

  /** The outcome of a webhook's test send. */
  testResult(webhook: string): Locator {
    return this.webhooks().getByRole('status', { name: `Test result of ${webhook}` });
  }

  /** The button that removes the console's filter on one entity (set by a detail view). */
  clearEntityFilter(name: string): Locator {
    return this.page.getByRole('button', { name: `Clear the filter on ${name}` });
  }

  list(): Locator {
    return this.page.getByRole('table', { name: 'Alert list' });
  }

  webhookRow(name: string): Locator {
    return this.webhooks()
      .getByRole('table', { name: 'Webhook list' })
      .locator('tbody tr')
      .filter({ hasText: name });
  }

  /** Text in a webhook's row ("disabled"). */
  webhookText(name: string, text: string): Locator {
    return this.webhookRow(name).getByText(text);
  }

  /** Rows of the delivery log for a webhook and an alert (`#12`, or `test`). */
  delivery(webhook: string, alert: string): Locator {
    const cell = (name: string): Locator => this.page.getByRole('cell', { name, exact: true });
    return this.webhooks()
      .getByRole('table', { name: 'Delivery log' })
      .locator('tbody tr')
      .filter({ has: cell(webhook) })
      .filter({ has: cell(alert) });
  }
}
