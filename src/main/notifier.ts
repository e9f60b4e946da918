import { Notification } from 'electron';
import type { Notifier } from '../core/notify/notifier.js';

/**
 * Desktop notifications for new critical alerts. Clicking one brings the window forward on the
 * Alerts page; the notification body is plain text (inventory names are never markup).
 */
export function electronNotifier(focus: (alertId: number) => void): Notifier {
  return {
    notify(n) {
      if (!Notification.isSupported()) return;
      const note = new Notification({
        title: n.title,
        body: n.body,
        silent: n.severity !== 'critical',
      });
      note.on('click', () => focus(n.alertId));
      note.show();
    },
  };
}
