import type { Locator, Page } from 'playwright-core';
import { AppPage } from './app-page.js';

export interface EndpointFormInput {
  name?: string;
  type?: 'vcenter' | 'esxi' | 'hyperv';
  host?: string;
  port?: string;
  username?: string;
  password?: string;
  tags?: string;
}

/** Page object for the Endpoints page: cards, the add/edit form, the test checklist and dialogs. */
export class EndpointsPage {
  readonly app: AppPage;

  constructor(readonly page: Page) {
    this.app = new AppPage(page);
  }

  async open(): Promise<void> {
    await this.app.open('Endpoints');
    await this.app.heading('Endpoints').waitFor();
  }

  addButton(): Locator {
    return this.page
      .getByRole('region', { name: 'Endpoints' })
      .getByRole('button', { name: 'Add endpoint', exact: true })
      .first();
  }

  dialog(name: string | RegExp): Locator {
    return this.page.getByRole('dialog', { name });
  }

  form(): Locator {
    return this.dialog(/^(Add endpoint|Edit endpoint)/);
  }

  /** A field of the form, by its label (whole, unless `exact` is false). */
  field(label: string, exact = true): Locator {
    return this.form().getByLabel(label, { exact });
  }

  /** Text in the form (a field's error message). */
  formText(text: string): Locator {
    return this.form().getByText(text);
  }

  /** The errors the form shows after a refused save. */
  formErrors(): Locator {
    return this.form().getByRole('alert');
  }

  /** A button of a dialog (the form, the trust dialog, a confirmation). */
  dialogButton(dialog: Locator, name: string): Locator {
    return dialog.getByRole('button', { name });
  }

  /** What the page shows with no endpoint. */
  emptyState(): Locator {
    return this.page.getByText('No endpoints yet');
  }

  async fillForm(input: EndpointFormInput): Promise<void> {
    const form = this.form();
    if (input.name !== undefined) await form.getByLabel('Name', { exact: true }).fill(input.name);
    if (input.type !== undefined) await form.getByLabel('Type').selectOption(input.type);
    if (input.host !== undefined) await form.getByLabel('Host', { exact: true }).fill(input.host);
    if (input.port !== undefined) await form.getByLabel('Port', { exact: true }).fill(input.port);
    if (input.username !== undefined) await form.getByLabel('Username').fill(input.username);
    if (input.password !== undefined) await form.getByLabel('Password').fill(input.password);
    if (input.tags !== undefined) await form.getByLabel('Tags').fill(input.tags);
  }

  async submitForm(): Promise<void> {
    await this.form()
      .getByRole('button', { name: /^(Save|Save changes)$/ })
      .click();
  }

  async add(input: EndpointFormInput): Promise<void> {
    await this.addButton().click();
    await this.fillForm(input);
    await this.submitForm();
    await this.page.waitForFunction(
      () =>
        !document.querySelector('[role="dialog"]') ||
        document.querySelector('[role="dialog"] [role="alert"]'),
    );
    const alerts = await this.formErrors().allInnerTexts();
    if (alerts.length > 0) throw new Error(`The form refused the endpoint: ${alerts.join('; ')}`);
  }

  card(name: string): Locator {
    return this.page.getByRole('article', { name, exact: true });
  }

  button(card: string, label: string): Locator {
    return this.card(card).getByRole('button', { name: label, exact: true });
  }

  /** Text shown on a card, matched whole ("Disabled", a tag). */
  cardText(card: string, text: string): Locator {
    return this.card(card).getByText(text, { exact: true });
  }

  enabledSwitch(card: string): Locator {
    return this.card(card).getByRole('switch', { name: 'Enabled' });
  }

  /** The value of a fact on a card ("Last sync", "Credential"). */
  cardFact(card: string, term: string): Locator {
    return this.card(card)
      .locator('div', { has: this.page.locator('dt', { hasText: term }) })
      .locator('dd');
  }

  pinnedThumbprint(card: string): Locator {
    return this.card(card).getByTestId('pinned-thumbprint');
  }

  testPanel(): Locator {
    return this.page.getByRole('region', { name: 'Connection test' });
  }

  /** A button of the connection test ("Save report", "Test again"). */
  testButton(name: string): Locator {
    return this.testPanel().getByRole('button', { name });
  }

  /** One step of the checklist, by its label ("TLS handshake"); its name ends with the status. */
  step(label: string): Locator {
    return this.testPanel().getByRole('listitem', { name: new RegExp(`^${label}: `) });
  }

  /** A step of the checklist with the status it ends with ("API probe: Failed"). */
  stepWithStatus(name: string): Locator {
    return this.testPanel().getByRole('listitem', { name });
  }

  /** A button within one step of the checklist ("Review certificate"). */
  stepButton(label: string, name: string): Locator {
    return this.step(label).getByRole('button', { name });
  }

  trustDialog(): Locator {
    return this.dialog('Untrusted certificate');
  }

  certificateFingerprint(): Locator {
    return this.trustDialog().getByTestId('certificate-fingerprint');
  }

  status(): Locator {
    return this.page.getByRole('region', { name: 'Endpoints' }).locator('.notice');
  }
}
