import type { AlertSeverity } from '../../shared/alerts.js';

/** One desktop notification: the Electron shell shows it with `Notification`. */
export interface DesktopNotification {
  readonly title: string;
  readonly body: string;
  readonly severity: AlertSeverity;
  readonly alertId: number;
}

/**
 * What a host implements to show desktop notifications for new critical alerts. The core calls it
 * and never waits on it; the CLI and `serve` pass none.
 *
 * @example
 * // src/main: const notifier: Notifier = { notify: (n) => new Notification({ title: n.title, body: n.body }).show() };
 */
export interface Notifier {
  notify(notification: DesktopNotification): void;
}
