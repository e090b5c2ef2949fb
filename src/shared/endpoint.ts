// Where a database is, as every surface names it: the label, the "same database" rule and the
// sslmode choices. Never a password.

/** Where a database is and who logs in: the fields every profile, endpoint and label share. */
export interface DatabaseAddress {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** user@host:port/db — safe for logs, reports and titles. */
export const endpointLabel = (a: DatabaseAddress): string => `${a.user}@${a.host}:${a.port}/${a.database}`;

/** Two addresses of one database can never be source and target of one run. */
export const sameDatabase = (a: Omit<DatabaseAddress, 'user'>, b: Omit<DatabaseAddress, 'user'>): boolean =>
  a.host === b.host && a.port === b.port && a.database === b.database;

export const sameDatabaseMessage = (label: string): string =>
  `the source and the target are the same database (${label}); pick two different databases`;

/** libpq's sslmode values as Archon reads them (no-verify is node-postgres' own), in the order offered. */
export const SSL_MODES: readonly { mode: string; detail: string }[] = [
  { mode: 'prefer', detail: 'Encrypted when the server offers it (the default, as in psql)' },
  { mode: 'require', detail: 'Always encrypted; the certificate is not checked (hosted platforms)' },
  { mode: 'verify-full', detail: 'Encrypted, certificate and host name checked (against a CA file or the system CAs)' },
  {
    mode: 'verify-ca',
    detail: 'Encrypted, certificate checked but not the host name (against a CA file or the system CAs)',
  },
  { mode: 'disable', detail: 'Never encrypted (local servers)' },
  { mode: 'allow', detail: 'Plain first; encrypted only when the server insists' },
  { mode: 'no-verify', detail: 'As require (a node-postgres spelling)' },
];

/** Modes that check the server's certificate, and so may take a CA file. */
export const verifiesCertificate = (mode: string): boolean => mode === 'verify-full' || mode === 'verify-ca';
