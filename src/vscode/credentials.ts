import * as vscode from 'vscode';
import { ConnectionError } from '../engine/index.js';
import { endpointLabel } from '../shared/endpoint.js';
import type { Role } from '../shared/report.js';
import type { ConnectionProfile, ConnectionStore } from './connectionStore.js';

/** A refusal of this side's password (or of none): the one failure a typed password can mend. */
const isAuthFailure = (e: unknown, role: Role): e is ConnectionError =>
  e instanceof ConnectionError && e.role === role && e.reason === 'auth';

/** Passwords from SecretStorage; asked for (and offered to SecretStorage) when the server refuses. */
export class Credentials {
  private promptsOpen = 0;

  constructor(
    private readonly store: ConnectionStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** True while a password prompt is open: the quick pick it replaced must not count as cancelled. */
  get asking(): boolean {
    return this.promptsOpen > 0;
  }

  password(profile: ConnectionProfile): Promise<string | undefined> {
    return this.store.password(profile.id);
  }

  async withPassword<T>(
    profile: ConnectionProfile,
    role: Role,
    fn: (password: string | undefined) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(await this.password(profile));
    } catch (e) {
      if (!isAuthFailure(e, role)) throw e;
      this.log.warn(`${role} ${endpointLabel(profile)}: ${e.message}; asking for the password`);
      const typed = await this.ask(profile, e);
      if (typed === undefined) throw e;
      const stored = await this.store.setPassword(profile.id, typed);
      if (!stored) {
        this.store.rememberForSession(profile.id, typed);
        this.log.warn('SecretStorage is not available (no OS keyring?): the password is kept for this session only');
      }
      return fn(typed);
    }
  }

  /** Both sides of a run, each asked for on its own refusal. */
  both<T>(
    source: ConnectionProfile,
    target: ConnectionProfile,
    fn: (passwords: { source?: string; target?: string }) => Promise<T>,
  ): Promise<T> {
    return this.withPassword(source, 'source', (s) =>
      this.withPassword(target, 'target', (t) => fn({ source: s, target: t })),
    );
  }

  private async ask(profile: ConnectionProfile, refusal: ConnectionError): Promise<string | undefined> {
    this.promptsOpen++;
    try {
      return await vscode.window.showInputBox({
        title: `Password for ${profile.name} (${endpointLabel(profile)})`,
        prompt: `The server said: ${refusal.serverMessage}`,
        password: true,
        ignoreFocusOut: true,
      });
    } finally {
      this.promptsOpen--;
    }
  }
}
