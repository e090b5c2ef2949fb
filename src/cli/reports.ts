// How every command that writes writes its report: --report (JSON), --markdown, --html, each
// checked before anything connects and written the same way once the command is over.
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../engine/index.js';
import type { Values } from './options.js';
import type { CliIo } from './terminal.js';

/** The renderings of one kind of report: the same three for every command that writes one. */
export interface Renderers<R> {
  json: (r: R) => string;
  markdown: (r: R) => string;
  html: (r: R) => string;
}

export interface Output<R> {
  file: string;
  what: string;
  render: (r: R) => string;
}

/** The reports asked for, each checked writable now: a report that cannot be written must be known before the target is touched. */
export function reportOutputs<R>(values: Values, renderers: Renderers<R>): Output<R>[] {
  const asked = [
    [values.report, '--report', 'JSON report', renderers.json],
    [values.markdown, '--markdown', 'Markdown report', renderers.markdown],
    [values.html, '--html', 'HTML report', renderers.html],
  ] as const;
  for (const [file, flag] of asked) {
    if (file === '') throw new UsageError(`${flag} needs a file name`);
    if (file) assertWritable(file, flag);
  }
  // Links count as the file they point at: two reports must never overwrite each other.
  const files = asked.map(([file]) => file && (existsSync(file) ? realpathSync(file) : resolve(file))).filter((f) => f);
  if (new Set(files).size < files.length) throw new UsageError('--report, --markdown and --html need a file each');
  return asked.flatMap(([file, , what, render]) => (file ? [{ file, what, render }] : []));
}

/**
 * Writes each report; false when one could not be. The command is over by then (perhaps committed):
 * `done` says so in the message, and the exit is never 2, which reads "nothing happened".
 */
export function writeReports<R>(outputs: Output<R>[], report: R, io: CliIo, done: string): boolean {
  let written = true;
  for (const { file, what, render } of outputs) {
    try {
      writeFileSync(file, render(report));
      io.err(`${what}: ${file}\n`);
    } catch (e) {
      io.err(`archon: ${done}${what} not written to ${file}: ${(e as Error).message}\n`);
      written = false;
    }
  }
  return written;
}

/** A file that cannot be written must be known before the target is touched: try it. */
export function assertWritable(file: string, flag: string): void {
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: is a folder; name a file`);
    try {
      accessSync(file, constants.W_OK);
    } catch {
      throw new UsageError(`${flag} ${file}: the file exists and is not writable`);
    }
    return;
  }
  const target = danglingLinkTarget(file);
  if (target) {
    // Writing follows the link: what must take the file is the link's target and its folder.
    try {
      assertWritable(target, flag);
    } catch (e) {
      const why = (e as Error).message.slice(`${flag} ${target}: `.length);
      throw new UsageError(`${flag} ${file}: a link to ${target}, and ${why}`);
    }
    return;
  }
  try {
    // Created and removed at once: the only test that a folder (or /proc, or a full disk) takes it.
    closeSync(openSync(file, 'wx'));
    unlinkSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const folder = dirname(resolve(file));
    if (code === 'ENOENT' && !existsSync(folder))
      throw new UsageError(`${flag} ${file}: the folder ${folder} does not exist`);
    // /proc, for one, is there and takes no new file: ENOENT too.
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
      throw new UsageError(`${flag} ${file}: the folder ${folder} is not writable`);
    // A name that ends in "/" is a folder's, whether or not that folder exists.
    if (code === 'EISDIR') throw new UsageError(`${flag} ${file}: names a folder; name a file`);
    // Not there, yet taken: a link in a loop of links, which leads to no file.
    if (code === 'EEXIST') throw new UsageError(`${flag} ${file}: a link that leads to no file (a loop of links)`);
    throw new UsageError(`${flag} ${file}: cannot be written (${(e as Error).message})`);
  }
}

/** Where a link that points at nothing (yet) points, or undefined when `file` is no such link. */
function danglingLinkTarget(file: string): string | undefined {
  try {
    if (!lstatSync(file).isSymbolicLink() || existsSync(file)) return undefined;
  } catch {
    return undefined;
  }
  try {
    realpathSync(file);
  } catch (e) {
    // Links that lead back to each other: no target to name, and following them would never end.
    if ((e as { code?: string }).code === 'ELOOP') return undefined;
  }
  try {
    return resolve(dirname(resolve(file)), readlinkSync(file));
  } catch {
    return undefined;
  }
}
