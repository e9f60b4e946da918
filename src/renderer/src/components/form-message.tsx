import type { ReactElement } from 'react';

/** A form's outcome: an error (announced as an alert) or a note (a status). */
export interface FormMessageValue {
  readonly error: boolean;
  readonly text: string;
}

export function FormMessage({
  message,
}: {
  message: FormMessageValue | null;
}): ReactElement | null {
  if (!message) return null;
  return (
    <div role={message.error ? 'alert' : 'status'} className={message.error ? 'error' : ''}>
      {message.text}
    </div>
  );
}
