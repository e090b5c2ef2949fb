// What planning a created table's access yields: its own file, so the table's DDL (ddl.ts) can carry it
// without importing access.ts, which reads the DDL.
import type { DefaultGrant } from './defaultPrivileges.js';
import type { AclObject, Grant } from './grants.js';
import type { Policy } from './policies.js';

/** An access object (policy or grant) of a created table that the run leaves out, and why. */
export interface AccessLeftOut {
  kind: AccessKind;
  name: string;
  reason: string;
  /** The role the target lacks, when that is the reason. */
  role?: string;
  /** A restrictive policy left out, by its table (displayName): its table's permissive ones go with it. */
  restricts?: string;
}

/** A created table's policies and grants: what runs, what it is checked against, what is left out. */
export interface AccessPlan {
  /** The relations (qualified) whose policies are read back. */
  relations: string[];
  /** The policies as the target writes them (read back in the trial). */
  policies: Policy[];
  objects: AclObject[];
  grants: Grant[];
  /** Run after the row-level security switches, once the rows were verified. */
  statements: string[];
  /** What the target's default privileges granted a created object, revoked first: `anon on public.t`. */
  revoked: string[];
  /** Names of the policies and grants created, for the report. */
  created: { kind: AccessKind; name: string; detail?: string }[];
  leftOut: AccessLeftOut[];
  /** Default privileges of the table's schema the target lacked (given with the schema's first created table). */
  defaults: DefaultGrant[][];
  /** Their REVOKE clauses, journaled so undo takes them back (they do not go with a dropped table). */
  undoDefaults: string[];
}

export type AccessKind = 'policy' | 'grant' | 'default privilege';
