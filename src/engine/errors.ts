import type { DatabaseError } from 'pg';

/** What a report keeps of a PostgreSQL error: enough to act on, never a secret. */
export interface ErrorInfo {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

export function errorInfo(err: unknown, secrets: readonly string[] = []): ErrorInfo {
  const e = err as Partial<DatabaseError> & { message?: string };
  const info: ErrorInfo = { message: redact(String(e?.message ?? err), secrets) };
  if (typeof e?.code === 'string') info.code = e.code;
  if (e?.detail) info.detail = redact(e.detail, secrets);
  if (e?.hint) info.hint = redact(e.hint, secrets);
  if (e?.where) info.where = redact(e.where, secrets);
  return info;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s) out = out.split(s).join('********');
  }
  // Belt and braces: a URL with credentials that slipped into a message loses its password.
  return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+):[^@\s]+@/gi, '$1:********@');
}

/** A failure to reach or log in to an endpoint: the CLI maps it to exit code 2. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** Bad options or input that make a run impossible (exit code 2 in the CLI). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled by the user');
    this.name = 'CancelledError';
  }
}
