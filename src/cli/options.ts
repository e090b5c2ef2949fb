// Every option the CLI knows, once: its parseArgs type and the words of its help line. A command
// takes the ones its table entry names (commands.ts); any other is refused, never ignored.

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** The value's placeholder in help (`URL`, `FILE.json`); none for a flag. */
  arg?: string;
  /** Its value is a number of seconds, checked (argv.ts) before the command runs. */
  number?: boolean;
  help: string;
}

export const OPTIONS = {
  source: { type: 'string', arg: 'URL', help: 'the database to read from (never written); or ARCHON_SOURCE_URL' },
  target: { type: 'string', arg: 'URL', help: 'the target database (the one migrate writes to); or ARCHON_TARGET_URL' },
  schema: {
    type: 'string',
    multiple: true,
    arg: 'S',
    help: 'only tables in schema S (repeatable; default: every non-system schema; "S" in double quotes matches that exact case)',
  },
  table: {
    type: 'string',
    multiple: true,
    arg: 'T',
    help: 'only table T: name, schema.name, "Quoted"."Name", * wildcards (repeatable)',
  },
  exclude: { type: 'string', multiple: true, arg: 'T', help: 'leave table T out (repeatable)' },
  'include-platform-schema': {
    type: 'boolean',
    help: "also take a hosted platform's internal schemas and tables (Supabase's supabase_migrations, vault, realtime, auth.schema_migrations, ...); never by default: a warning is shown for each",
  },
  existing: {
    type: 'string',
    arg: 'POLICY',
    help: 'rows already in the target: replace (default) | append | skip-nonempty',
  },
  'create-missing': {
    type: 'boolean',
    help: "create the selected tables the target lacks (schema, types, sequences, keys, indexes, foreign keys) in the run's transaction",
  },
  'add-columns': { type: 'boolean', help: 'add to existing target tables the source columns they lack' },
  'create-objects': {
    type: 'boolean',
    help: "create the functions, procedures, aggregates, views and materialized views the target lacks and, with --create-missing, the created tables' triggers, rules, policies, grants and comments (roles it lacks are named); each checked against the source's before the commit",
  },
  ddl: { type: 'string', arg: 'FILE.sql', help: 'write the DDL that migrate --create-missing would run (implies it)' },
  'counts-only': { type: 'boolean', help: 'row counts only, content not read (the quick check)' },
  'no-backup': { type: 'boolean', help: 'do not keep the rows replace/append remove (the run cannot be undone)' },
  force: { type: 'boolean', help: 'restore tables changed since the run too (those changes are lost)' },
  'older-than': { type: 'string', arg: 'AGE', help: 'the runs older than AGE: a number and m, h, d or w, e.g. 7d' },
  'lock-timeout': {
    type: 'string',
    arg: 'SEC',
    number: true,
    help: 'give up when a table stays locked by another session this long (default 60)',
  },
  'stall-timeout': {
    type: 'string',
    arg: 'SEC',
    number: true,
    help: 'give up when a copy moves no data this long (default 120)',
  },
  jobs: {
    type: 'string',
    arg: 'N',
    help: 'source sessions reading at once, on one snapshot; big tables in ranges of pages (default 4; 1: one stream, no spool)',
  },
  'spool-dir': {
    type: 'string',
    arg: 'DIR',
    help: 'where the rows read ahead of the target wait (default: the OS temp folder; owner-only, removed after the run)',
  },
  'spool-limit': {
    type: 'string',
    arg: 'SIZE',
    help: 'the most the spool holds at once, e.g. 500MB or 2GB (default 2GB); readers wait when it is full',
  },
  resume: {
    type: 'boolean',
    arg: '[RUN]',
    help: 'continue a failed parallel run from the spool it kept (that run, or the latest between these databases): same options; what changed on the source since is read again',
  },
  report: { type: 'string', arg: 'FILE.json', help: 'write the report as JSON' },
  markdown: { type: 'string', arg: 'FILE.md', help: 'write the report as Markdown' },
  html: { type: 'string', arg: 'FILE.html', help: 'write the report as a self-contained page' },
  yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation (required without a terminal)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', help: "archon's version" },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

type ParseConfig = { [K in OptionName]: Pick<(typeof OPTIONS)[K], 'type'> & Partial<OptionSpec> };

/** The values of a command line; a command's own options are a subset, so each handler reads these. */
export type Values = {
  [K in OptionName]?: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof OPTIONS)[K]['type'] extends 'string'
      ? string
      : boolean;
};

/** The parseArgs config of the options named (the help words left out). */
export function parseConfig(names: readonly OptionName[]): Partial<ParseConfig> {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const name of names) {
    const { type, short } = OPTIONS[name] as OptionSpec;
    config[name] = { type, ...('multiple' in OPTIONS[name] ? { multiple: true } : {}), ...(short ? { short } : {}) };
  }
  return config as Partial<ParseConfig>;
}

/** `--target URL`, `-y, --yes`: an option as its help line starts. */
export function optionSynopsis(name: OptionName): string {
  const o = OPTIONS[name] as OptionSpec;
  return `${o.short ? `-${o.short}, ` : ''}--${name}${o.arg ? ` ${o.arg}` : ''}`;
}
