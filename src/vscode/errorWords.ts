// Engine errors in the words of VS Code: the remedy an error carries as data (engine/errors.ts)
// names what the user can do here (the connection form, Fix Connection), never a CLI flag,
// environment variable or ~/.pgpass. No `vscode` import: unit-tested.
import { type Remedy, remedyOf } from '../engine/index.js';

/** What to do about a remedy, in VS Code's words; empty when the error carries none. */
function remedyWords(remedy: Remedy | undefined): string {
  switch (remedy?.kind) {
    case 'password':
      return 'enter the password again (Fix Connection on the connection in the Archon view)';
    case 'sslmode':
      return `edit the connection and choose sslmode ${remedy.use.join(' or ')}`;
    case 'force-undo':
      return 'choose Undo Migration again to see what changed and decide';
    case 'list-runs':
      return 'run "Archon: Migration History" to see the runs';
    case 'lock-wait':
      return 'try again when the other session is done, or raise the setting archon.lockTimeoutSeconds';
    default:
      return '';
  }
}

/** An error's message for a VS Code notification, tree node or form: the remedy in these words. */
export function errorMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const words = remedyWords(remedyOf(e));
  return words ? `${message.replace(/\.$/, '')}. To fix: ${words}.` : message;
}
