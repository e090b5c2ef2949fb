// Hosted platforms as data: how to recognise one from what its server shows, and which of its
// schemas hold the user's data, the platform's data, or the platform's own machinery. Adding
// Neon, RDS, Cloud SQL or Azure is adding a profile to PROFILES; nothing else branches on a name.
import type pg from 'pg';

/** The three kinds of schema (and of table) a platform has; a plain server has only the first. */
export type SchemaKind = 'user' | 'platform data' | 'platform internal';

interface PlatformProfile {
  id: string;
  name: string;
  /** Host names of the platform's servers and poolers. */
  hosts: RegExp[];
  /** Schemas this platform creates: `minSchemas` of them owned by `markerRoles` name it. */
  markerSchemas: string[];
  minSchemas: number;
  /** Roles the platform creates and gives its schemas to (cluster-wide, so never enough on their own). */
  markerRoles: string[];
  /** Platform data a user may want moved, by schema, with what copying it means. */
  dataSchemas: Record<string, string>;
  /** Schemas of the platform's own machinery, never copied by default. */
  internalSchemas: string[];
  /** Tables inside data schemas that are machinery all the same (`schema.table`). */
  internalTables: string[];
  internalReason: string;
  /** Roles the platform's API connects as, and what each is for: granted to only where the target has them. */
  apiRoles?: Record<string, string>;
  /** A transaction-mode pooler reached by address: its hosts and port, and what to use instead. */
  transactionPooler?: { hosts: RegExp[]; port: number; advice: string };
}

const SUPABASE: PlatformProfile = {
  id: 'supabase',
  name: 'Supabase',
  hosts: [/\.supabase\.co$/i, /\.supabase\.com$/i],
  markerSchemas: [
    'auth',
    'storage',
    'supabase_migrations',
    'supabase_functions',
    'realtime',
    '_realtime',
    'graphql_public',
    'vault',
  ],
  minSchemas: 2,
  markerRoles: ['supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'supabase_functions_admin'],
  dataSchemas: {
    auth:
      "Supabase Auth's users, identities and sessions; its tables differ between platform versions and are " +
      'matched by column name as usual',
    storage: 'Supabase Storage metadata: storage.objects rows point at files that are not in the database',
    supabase_functions: 'database webhooks and their call log',
  },
  internalSchemas: [
    'extensions',
    'graphql',
    'graphql_public',
    'realtime',
    '_realtime',
    '_analytics',
    '_supavisor',
    'pgbouncer',
    'pgsodium',
    'pgsodium_masks',
    'vault',
    'supabase_migrations',
  ],
  internalTables: ['auth.schema_migrations', 'storage.migrations', 'supabase_functions.migrations'],
  internalReason:
    "is Supabase's own machinery (migration history, encryption keys or service state), which each project " +
    'keeps for itself',
  apiRoles: {
    anon: 'requests without a signed-in user',
    authenticated: "signed-in users' requests",
    service_role: 'requests with the service key',
  },
  transactionPooler: {
    hosts: [/\.pooler\.supabase\.com$/i],
    port: 6543,
    advice:
      "use Supabase's session pooler (the same URL with port 5432) or the direct connection (db.<project-ref>.supabase.co:5432)",
  },
};

export const PROFILES: readonly PlatformProfile[] = [SUPABASE];

/** `anon, Supabase's role for requests without a signed-in user`: a platform's API role said as such; null for others. */
export function apiRoleText(platformId: string | null | undefined, role: string): string | null {
  const p = PROFILES.find((x) => x.id === platformId);
  const what = p?.apiRoles?.[role];
  return what ? `${p!.name}'s role for ${what}` : null;
}

/** The platform a server belongs to, and what gave it away. */
export interface DetectedPlatform {
  id: string;
  name: string;
  evidence: string;
}

const profileOf = (id: string | null | undefined): PlatformProfile | null => PROFILES.find((p) => p.id === id) ?? null;

/** What a connection shows about its server: its host, and the schemas it has with their owners. */
interface PlatformSignals {
  host: string;
  schemas: { name: string; owner: string }[];
}

/**
 * The platform by its host, else by its schemas: `minSchemas` of the profile's schemas owned by its
 * roles (roles are cluster-wide and a schema name is anyone's to take; both together are the platform's).
 */
export function detectPlatform(s: PlatformSignals): DetectedPlatform | null {
  for (const p of PROFILES) {
    if (p.hosts.some((h) => h.test(s.host))) return { id: p.id, name: p.name, evidence: `host ${s.host}` };
    const owned = s.schemas.filter((n) => p.markerSchemas.includes(n.name) && p.markerRoles.includes(n.owner));
    if (owned.length >= p.minSchemas) {
      const evidence = `schemas ${owned.map((n) => `${n.name} (owner ${n.owner})`).join(', ')}`;
      return { id: p.id, name: p.name, evidence };
    }
  }
  return null;
}

/** Reads the signals of one connection (one small catalog query) and names its platform, if any. */
export async function readPlatform(client: pg.Client, host: string): Promise<DetectedPlatform | null> {
  const r = await client.query<{ name: string; owner: string }>(
    `SELECT nspname AS name, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY ($1)
      ORDER BY nspname`,
    [PROFILES.flatMap((p) => p.markerSchemas)],
  );
  return detectPlatform({ host, schemas: r.rows });
}

export interface PlatformKind {
  kind: SchemaKind;
  /** Platform data: what copying it means. Platform internal: why it is never copied. */
  note: string | null;
  platform: string | null;
}

const USER: PlatformKind = { kind: 'user', note: null, platform: null };

/** The kind of one table under one platform's profile. */
export function tableKind(platformId: string | null | undefined, schema: string, table: string): PlatformKind {
  const p = profileOf(platformId);
  if (!p) return USER;
  if (p.internalSchemas.includes(schema) || p.internalTables.includes(`${schema}.${table}`)) {
    return { kind: 'platform internal', note: p.internalReason, platform: p.name };
  }
  const data = p.dataSchemas[schema];
  return data ? { kind: 'platform data', note: data, platform: p.name } : USER;
}

const RANK: Record<SchemaKind, number> = { user: 0, 'platform data': 1, 'platform internal': 2 };

/** The stricter kind of the two sides: a table the target's platform keeps for itself is never overwritten. */
export function stricterKind(a: PlatformKind, b: PlatformKind): PlatformKind {
  return RANK[b.kind] > RANK[a.kind] ? b : a;
}
