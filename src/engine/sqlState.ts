// The SQLSTATEs and driver error codes the engine acts on, in one place. A server's message follows its
// lc_messages (a German server says "Sperrzeitüberschreitung", not "lock timeout"), so the engine decides
// by code; messages are only read where no code exists (see `unCodedConnectionLoss`).

/** Server error codes (SQLSTATE) the engine branches on, each with why it cares. */
export const SQLSTATE = {
  /** lock_timeout ran out: a bounded wait, reported naming who held the lock, never retried. */
  lockNotAvailable: '55P03',
  /** statement cancelled: our own cancel (sent from a side connection) or a statement_timeout. */
  queryCanceled: '57014',
  /** No privilege: a readable reason, or a step of undo that is skipped rather than failing it. */
  insufficientPrivilege: '42501',
  /** Other objects depend on what undo would drop: undo keeps it, or refuses and says what depends. */
  dependentObjectsStillExist: '2BP01',
  /** Refused as unsupported: for TRUNCATE, a foreign key from another table points at it. */
  featureNotSupported: '0A000',
  /** A duplicate key: with rows kept on the target (Append), most likely a clash with those. */
  uniqueViolation: '23505',
  /** A foreign key refused rows: perhaps because the table it references failed to load. */
  foreignKeyViolation: '23503',
  /** Wrong password (or the server refused the authentication method). */
  invalidPassword: '28P01',
  /** pg_hba.conf has no line for this client (over plain TCP, often: the server wants SSL). */
  invalidAuthorization: '28000',
  /** The database named in the address does not exist. */
  invalidCatalogName: '3D000',
  /** The object looked up does not exist (an object undo would drop is gone already). */
  undefinedObject: '42704',
  /** The schema looked up does not exist. */
  invalidSchemaName: '3F000',
  /** The table looked up does not exist. */
  undefinedTable: '42P01',
  /** A sequence's next value would leave its bounds: raised by the engine itself for a sequence it cannot set. */
  sequenceGeneratorLimitExceeded: '2200H',
  /** The server is shutting down or was restarted (57P01 admin, 57P02 crash, 57P03 cannot connect now). */
  adminShutdownClass: '57P0',
  /** Warnings (01xxx), as notices: ANALYZE skipping a table the user may not analyze. */
  warningClass: '01',
  /** Connection exceptions (08xxx): the connection itself failed. */
  connectionExceptionClass: '08',
} as const;

/** A server error's SQLSTATE; undefined for anything else (a socket error's `code` is no SQLSTATE). */
export function sqlStateOf(e: unknown): string | undefined {
  const err = e as { code?: unknown; severity?: unknown } | null;
  // A server's error carries a severity; a socket's (ECONNRESET, EPIPE) has a code but none.
  if (typeof err?.code !== 'string' || typeof err.severity !== 'string') return undefined;
  return err.code;
}

/**
 * Node's error codes for a network failure (`err.code` on the socket error node-postgres passes on),
 * by what they mean to a user.
 */
export const SOCKET_CODES = {
  /** Nothing listens there (ENOENT: no Unix socket file). */
  unreachable: ['ECONNREFUSED', 'ENOENT'],
  /** The name does not resolve (EAI_AGAIN: the resolver could not answer now). */
  hostNotFound: ['ENOTFOUND', 'EAI_AGAIN'],
  /** The peer reset the connection: also what a non-PostgreSQL server (an SSH or HTTP one) often does. */
  reset: ['ECONNRESET'],
  /** The connection broke under us. */
  lost: ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'],
  /** The TCP connection timed out. */
  timeout: ['ETIMEDOUT'],
  /** The server's certificate is not trusted or does not name the host (and OpenSSL's ERR_SSL_*). */
  tls: [
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ],
} as const;

/** A Node (socket, DNS or TLS) error's code; undefined for a server's error, which has a SQLSTATE instead. */
export function socketCodeOf(e: unknown): string | undefined {
  const err = e as { code?: unknown; severity?: unknown } | null;
  if (typeof err?.code !== 'string' || typeof err.severity === 'string') return undefined;
  return err.code;
}

export const isSocketCode = (e: unknown, codes: readonly string[]): boolean => codes.includes(socketCodeOf(e) ?? '');

/** A TLS failure by its code: a certificate not trusted, or OpenSSL refusing the handshake. */
export const isTlsFailure = (e: unknown): boolean =>
  isSocketCode(e, SOCKET_CODES.tls) || /^ERR_(SSL|TLS)_/.test(socketCodeOf(e) ?? '');

/** Whether the connection itself failed, by SQLSTATE (08xxx, 57P0x) or socket code (ECONNRESET, EPIPE…). */
export function connectionFailed(e: unknown): boolean {
  const state = sqlStateOf(e) ?? '';
  if (state.startsWith(SQLSTATE.connectionExceptionClass) || state.startsWith(SQLSTATE.adminShutdownClass)) return true;
  return isSocketCode(e, SOCKET_CODES.lost) || driverWords(e) === 'terminated';
}

/** What node-postgres said where it gives no code: see `driverWords`. */
export type DriverWords = 'terminated' | 'timeout' | 'no-ssl' | 'ssl-failed' | 'password-missing';

/**
 * The one place the engine reads an error's words, because neither the server nor the driver gives a
 * code for these. They are node-postgres' own English, never the server's, so lc_messages does not
 * change them: "Connection terminated unexpectedly" (the socket closed without an error), "Client has encountered a
 * connection error and is not queryable" (a query sent on a client whose socket already failed), "Connection
 * terminated due to connection timeout", "The server does not support SSL connections", "There was an
 * error establishing an SSL connection" (its reply when what answered was not PostgreSQL), a password it
 * needs and was not given. A server's error (it has a
 * SQLSTATE) or a socket's (it has a code) is never read here.
 */
export function driverWords(e: unknown): DriverWords | null {
  if (sqlStateOf(e) !== undefined || socketCodeOf(e) !== undefined) return null;
  const m = String((e as { message?: unknown } | null)?.message ?? e ?? '');
  if (/timeout/i.test(m)) return 'timeout';
  if (/^Connection terminated/i.test(m) || /is not queryable/i.test(m)) return 'terminated';
  if (/does not support SSL/i.test(m)) return 'no-ssl';
  if (/error establishing an SSL connection/i.test(m)) return 'ssl-failed';
  if (/password/i.test(m)) return 'password-missing';
  return null;
}
