import type { ReactElement } from 'react';
import { ROLES } from '../../../shared/roles.js';

/** The roles as a role `<select>`'s options (new account, an account's row, a new API token). */
export function RoleOptions(): ReactElement {
  return (
    <>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </>
  );
}
