// What every command shares with the terminal: the io it is given, confirmation, Ctrl-C, the
// passwords to hide, exit codes and the hints that name a flag or a variable.
import {
  CancelledError,
  ConnectionError,
  LockTimeoutError,
  UsageError,
  parseUrl,
  redact,
  remedyOf,
} from '../engine/index.js';
import { visible } from '../shared/names.js';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Reads an answer; the signal abandons the question (and lets go of the terminal). */
  ask: (question: string, signal?: AbortSignal) => Promise<string>;
}

/** Exit codes: 0 everything verified, 1 something was not (or was declined), 2 nothing could start. */
export const EXIT = { ok: 0, notVerified: 1, usage: 2 } as const;

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Runs `fn` with a signal that Ctrl-C and SIGTERM abort: the engine then cancels what its sessions
 * are doing on the server, so nothing keeps waiting there after Archon has gone.
 */
export async function cancellable<T>(io: CliIo, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    // A second signal while the first one's rollback runs: the user will not wait. Said, and the
    // server takes back what was not committed when the connection closes.
    if (controller.signal.aborted) {
      io.err(
        `archon: stopped at once by a second signal while ${what}: the server rolls back what was not ` +
          'committed as the connection closes (archon history says whether a run committed)\n',
      );
      process.exit(EXIT.notVerified);
    }
    io.err(`\nCancelling: ${what}…\n`);
    // Should the process end before the command returns its code, it still does not say success.
    process.exitCode = EXIT.notVerified;
    controller.abort();
  };
  for (const signal of CANCEL_SIGNALS) process.on(signal, onSignal);
  active++;
  try {
    return await fn(controller.signal);
  } finally {
    active--;
    for (const signal of CANCEL_SIGNALS) process.removeListener(signal, onSignal);
  }
}

/** Commands at work under cancellable: they answer a signal themselves. */
let active = 0;

/**
 * The executable's own answer to Ctrl-C or SIGTERM outside a command's work on the servers (starting
 * up, printing, writing a report): said and exit 1, never the shell's silent 130.
 */
export function answerSignals(io: Pick<CliIo, 'err'>): void {
  const outside = (signal: NodeJS.Signals) => {
    if (active) return;
    io.err(`archon: stopped by ${signal}; no run was at work on the servers (archon history says what committed)\n`);
    process.exit(EXIT.notVerified);
  };
  for (const signal of CANCEL_SIGNALS) process.on(signal, outside);
}

/** The answer at "Proceed?"; Ctrl-C or a closed terminal there declines, and nothing is written. */
export async function confirmed(io: CliIo, signal: AbortSignal): Promise<boolean> {
  // A signal (kill -INT, kill -TERM) while the prompt waits declines too, as the keystroke does.
  try {
    return /^y(es)?$/i.test((await io.ask('Proceed? [y/N] ', signal)).trim());
  } catch {
    io.err('\nInterrupted at the prompt: nothing was written.\n');
    return false;
  }
}

/** A write needs a yes: from --yes, or from a person at a terminal. */
export function assertCanAsk(yes: boolean | undefined, io: CliIo, what = 'write to the target'): void {
  if (!yes && !io.isTTY)
    throw new UsageError(`refusing to ${what} without confirmation: no terminal to ask on; pass --yes`);
}

/** Exit code 2 with a message that names what went wrong and where, never a password. */
export function failure(e: unknown, io: CliIo, secrets: string[]): number {
  if (e instanceof CancelledError) {
    io.err('archon: cancelled before anything was written\n');
    return EXIT.notVerified;
  }
  if (
    e instanceof ConnectionError ||
    e instanceof UsageError ||
    e instanceof LockTimeoutError ||
    (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    io.err(`archon: ${visible(redact(`${(e as Error).message}${cliHint(e)}`, secrets))}\n`);
  } else {
    io.err(`archon: unexpected error: ${redact(String((e as Error)?.stack ?? e), secrets)}\n`);
  }
  return EXIT.usage;
}

/** The passwords a command line and its environment carry, for `redact` to hide. */
export function secretsOf(urls: (string | undefined)[], env: NodeJS.ProcessEnv): string[] {
  const fromEnv = [env.ARCHON_SOURCE_PASSWORD, env.ARCHON_TARGET_PASSWORD, env.PGPASSWORD];
  return [...urls.flatMap((u) => passwordOf(u)), ...fromEnv.filter((p): p is string => !!p)];
}

function passwordOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const p = parseUrl(url, 'source').password;
    return p ? [p] : [];
  } catch {
    return [];
  }
}

/** A time option in seconds, as milliseconds; the default when it is not given. */
export function milliseconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  // Decimal digits only: Number() would also take "0x10", "1e3" and " 5".
  const seconds = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  // PostgreSQL's timeouts are 32-bit milliseconds (about 24 days at most), and 0 would mean no bound.
  if (!(seconds >= 0.001 && seconds <= 2_000_000)) {
    throw new UsageError(`${flag} takes seconds: a number from 0.001 to 2000000 (got "${text}")`);
  }
  return seconds * 1000;
}

/** A whole number from `min` to `max` (--jobs). */
export function wholeNumber(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} takes a whole number from 1 to ${max} (got "${text}")`);
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size as people write it: 500MB, 2GB, 1.5G, 800M (units of 1024); at least 1 MB. */
export function byteSize(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  const bytes = m ? Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]) : Number.NaN;
  if (!(bytes >= 1024 ** 2))
    throw new UsageError(`${flag} takes a size of at least 1MB, like 500MB or 2GB (got "${text}")`);
  return bytes;
}

/** Where a terminal user can put things right; VS Code users get their own words for the same remedy. */
export function cliHint(e: unknown): string {
  const remedy = remedyOf(e);
  switch (remedy?.kind) {
    case 'password': {
      const side = e instanceof ConnectionError ? `ARCHON_${e.role.toUpperCase()}_PASSWORD, ` : '';
      return ` (check the password in the URL, ${side}PGPASSWORD or ~/.pgpass)`;
    }
    case 'sslmode':
      return ` (use ${remedy.use.map((m) => `sslmode=${m}`).join(' or ')} in the URL for this server)`;
    case 'force-undo':
      return ' (pass --force to restore anyway)';
    case 'list-runs':
      return ' (archon history lists the runs)';
    case 'lock-wait':
      return ' (the wait is set by --lock-timeout)';
    default:
      return '';
  }
}
