// Saved connections: non-secret fields in VS Code's global state, passwords only in SecretStorage.
// No `vscode` import: the two storage interfaces below are what vscode.Memento and
// vscode.SecretStorage offer, so the store is unit-tested with plain objects.
import type { DatabaseAddress } from '../shared/endpoint.js';
import { parseUrl } from '../engine/index.js';
import type { Role } from '../shared/report.js';

export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
}

export interface ConnectionProfile extends DatabaseAddress {
  id: string;
  name: string;
  /** Which group the tree shows it in; the wizard may still use it in either role. */
  role: Role;
  sslmode: string;
  sslrootcert?: string;
  /**
   * Set while the connection is known not to work (its last test or read failed, or it was saved
   * despite a failed test): the tree marks it and offers Fix Connection. Redacted words only.
   */
  broken?: BrokenState;
}

export interface BrokenState {
  /** The engine's ConnectFailure ('auth' is mended by a password alone). */
  reason: string;
  message: string;
}

const KEY = 'archon.connections';
const secretKey = (id: string) => `archon.connection.${id}.password`;

/** The URL the engine connects with. It never holds the password (that travels apart). */
export function urlOf(p: ConnectionProfile): string {
  const u = new URL('postgresql://placeholder');
  u.hostname = p.host.includes(':') && !p.host.startsWith('[') ? `[${p.host}]` : p.host;
  if (u.hostname === 'placeholder') throw new Error(`"${p.host}" is not a valid host name; edit the connection`);
  u.port = String(p.port);
  u.username = p.user;
  u.pathname = `/${encodeURIComponent(p.database)}`;
  u.searchParams.set('sslmode', p.sslmode);
  if (p.sslrootcert) u.searchParams.set('sslrootcert', p.sslrootcert);
  return u.toString();
}

/** The fields of a profile that say where the database is (all but id, name, role and health). */
export type ConnectionFields = Omit<ConnectionProfile, 'id' | 'name' | 'role' | 'broken'>;

/**
 * Splits a pasted URL or libpq key-value string into the fields we keep and the password we must
 * not keep with them.
 */
export function profileFromUrl(url: string): { fields: ConnectionFields; password: string | undefined } {
  // Throws, saying why, for what is not a PostgreSQL URL ("… starts with postgresql:// …").
  const u = parseUrl(url, 'connection');
  if (!u.host) throw new Error('no host given (…@host or host=…)');
  if (u.host.startsWith('/')) throw new Error('it names a Unix socket; a saved connection needs a host name');
  if (!u.database) throw new Error('no database name given (…/dbname at the end of a URL, or dbname=…)');
  return {
    fields: {
      host: u.host,
      port: u.port ?? 5432,
      database: u.database,
      user: u.user ?? 'postgres',
      sslmode: u.sslmode ?? 'prefer',
      ...(u.sslrootcert ? { sslrootcert: u.sslrootcert } : {}),
    },
    password: u.password,
  };
}

export class ConnectionStore {
  /** Passwords for this session only, when the OS keyring is not available. */
  private readonly sessionPasswords = new Map<string, string>();

  constructor(
    private readonly state: KeyValueStore,
    private readonly secrets: SecretStore,
    private readonly newId: () => string = () => `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  ) {}

  list(): ConnectionProfile[] {
    return this.state.get<ConnectionProfile[]>(KEY) ?? [];
  }

  get(id: string): ConnectionProfile | undefined {
    return this.list().find((p) => p.id === id);
  }

  /**
   * Saves a profile (new when it has no id). Returns whether the password went to SecretStorage;
   * false means no keyring: the password lives in memory for this session and is asked again later.
   */
  async save(
    profile: Omit<ConnectionProfile, 'id'> & { id?: string },
    password?: string,
  ): Promise<{ profile: ConnectionProfile; passwordStored: boolean }> {
    const full: ConnectionProfile = { ...profile, id: profile.id ?? this.newId() } as ConnectionProfile;
    const others = this.list().filter((p) => p.id !== full.id);
    await this.state.update(KEY, [...others, full]);
    let passwordStored = true;
    if (password !== undefined) passwordStored = await this.setPassword(full.id, password);
    return { profile: full, passwordStored };
  }

  async update(id: string, change: Partial<Omit<ConnectionProfile, 'id'>>): Promise<ConnectionProfile> {
    const current = this.get(id);
    if (!current) throw new Error(`no saved connection with id ${id}`);
    const next: ConnectionProfile = { ...current, ...change };
    // An explicitly cleared field (undefined) is removed, not kept from before.
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
    }
    await this.state.update(
      KEY,
      this.list().map((p) => (p.id === id ? next : p)),
    );
    return next;
  }

  /** Records whether the connection works (undefined: it does); true when that changed what the tree shows. */
  async setBroken(id: string, broken: BrokenState | undefined): Promise<boolean> {
    const current = this.get(id);
    if (!current || JSON.stringify(current.broken) === JSON.stringify(broken)) return false;
    await this.update(id, { broken });
    return true;
  }

  async remove(id: string): Promise<void> {
    await this.state.update(
      KEY,
      this.list().filter((p) => p.id !== id),
    );
    this.sessionPasswords.delete(id);
    try {
      await this.secrets.delete(secretKey(id));
    } catch {
      // Nothing stored there when the keyring is unavailable.
    }
  }

  async setPassword(id: string, password: string): Promise<boolean> {
    try {
      if (password === '') await this.secrets.delete(secretKey(id));
      else await this.secrets.store(secretKey(id), password);
      this.sessionPasswords.delete(id);
      return true;
    } catch {
      if (password) this.sessionPasswords.set(id, password);
      return false;
    }
  }

  /** The password, or undefined when none is stored (the caller asks, or relies on ~/.pgpass). */
  async password(id: string): Promise<string | undefined> {
    if (this.sessionPasswords.has(id)) return this.sessionPasswords.get(id);
    try {
      return (await this.secrets.get(secretKey(id))) ?? undefined;
    } catch {
      return undefined;
    }
  }

  rememberForSession(id: string, password: string): void {
    this.sessionPasswords.set(id, password);
  }
}
