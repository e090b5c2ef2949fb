// An option's value gone wrong, said in the CLI's words before parseArgs says it in Node's (which
// names no value given, calls `--lock-timeout -5` ambiguous, and reads `-y=1` as the options -y, -=
// and -1).
import type { parseArgs } from 'node:util';
import { OPTIONS, type OptionName, type OptionSpec, type Values, optionSynopsis } from './options.js';
import { visible } from '../shared/names.js';
import { milliseconds } from './terminal.js';

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

const specOf = (name: string): OptionSpec | undefined =>
  Object.hasOwn(OPTIONS, name) ? (OPTIONS[name as OptionName] as OptionSpec) : undefined;

/**
 * `--lock-timeout -5` as `--lock-timeout=-5`: after an option that takes a value, a minus sign before a
 * digit starts that value (no option is named by a digit), which the option's own check then refuses
 * naming what it takes (`--older-than -7d` too); `--` ends the options.
 */
export function joinNegativeNumbers(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return [...out, ...argv.slice(i)];
    const next = argv[i + 1];
    const valued = arg.startsWith('--') && !arg.includes('=') && specOf(arg.slice(2))?.type === 'string';
    if (valued && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** The first option given a value it cannot take, or none where it needs one; null when there is none. */
export function valueMistake(tokens: Token[], argv: string[]): string | null {
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const typed = argv[t.index];
    // `-y=1` comes as a group of single letters: the one before "=" was given a value.
    const short = /^-([^-=]+)=/.exec(typed);
    if (short) return `-${short[1].slice(-1)} takes no value (got "${typed}")`;
    const spec = specOf(t.name);
    if (!spec) continue;
    if (spec.type === 'boolean' && t.value !== undefined) return `--${t.name} takes no value (got "${typed}")`;
    if (spec.type === 'boolean') continue;
    const wanted = optionSynopsis(t.name as OptionName);
    if (t.value === undefined) return `${t.rawName} needs a value (${wanted})`;
    if (!t.inlineValue && t.value.startsWith('-')) return `${t.rawName} needs a value (${wanted}), not ${t.value}`;
  }
  return null;
}

/** Every number given checked before anything else: `migrate --lock-timeout -5` names that, not the missing URLs. */
export function assertNumbers(values: Values): void {
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string' && specOf(name)?.number) milliseconds(`--${name}`, value, 0);
  }
}

/** Options whose value is a connection string: it may hold a password, so it is never shown back. */
const SECRET_VALUED = new Set(['source', 'target']);

/**
 * A single-value option given twice (`--lock-timeout 5 --lock-timeout 7`): parseArgs keeps the last
 * silently, and which one the user meant is a guess; null when there is none. --schema, --table and
 * --exclude are repeatable.
 */
export function repeatedOption(tokens: Token[]): string | null {
  const seen = new Map<string, string | undefined>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = specOf(t.name);
    if (spec?.type !== 'string' || spec.multiple) continue;
    if (!seen.has(t.name)) {
      seen.set(t.name, t.value);
      continue;
    }
    const values = SECRET_VALUED.has(t.name)
      ? 'not shown: a connection string may hold a password'
      : `${visible(seen.get(t.name) ?? '')} and ${visible(t.value ?? '')}`;
    return `--${t.name} given twice (${values}): give it once`;
  }
  return null;
}
