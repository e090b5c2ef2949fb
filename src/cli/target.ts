// The target alone, as undo, history and backups take it: the journal lives there.
import { DEFAULT_LOCK_TIMEOUT_MS, type TargetOptions, UsageError, parseEndpoint } from '../engine/index.js';
import type { Values } from './options.js';
import { type CliIo, milliseconds, secretsOf } from './terminal.js';

/** The target checked before anything connects, and its label (`user@host:port/db`) for reports. */
export function journalTarget(values: Values, io: CliIo, secrets: string[]): TargetOptions & { label: string } {
  const url = values.target ?? io.env.ARCHON_TARGET_URL;
  secrets.push(...secretsOf([url], io.env));
  if (!url) throw new UsageError('missing --target URL (the database whose migrations are listed or undone)');
  const { label } = parseEndpoint(url, 'target', io.env);
  return {
    target: url,
    env: io.env,
    lockTimeoutMs: milliseconds('--lock-timeout', values['lock-timeout'], DEFAULT_LOCK_TIMEOUT_MS),
    label,
  };
}
