// Types for pg-servers.mjs, for the TypeScript tests that start servers of their own.
export const SUPERUSER: string;

export interface Standby {
  port: number;
  url(db?: string): string;
  stop(): Promise<void>;
}

export interface StartedServer {
  major: number;
  port: number;
  password: string;
  caFile: string | null;
  url(db?: string, user?: string, password?: string): string;
  standby(): Promise<Standby>;
  stop(): Promise<void>;
}

export function startServer(
  major: number,
  opts?: { log?: (line: string) => void; ssl?: boolean },
): Promise<StartedServer>;

export function startServers(
  majors: number[],
  opts?: { log?: (line: string) => void; ssl?: boolean },
): Promise<StartedServer[]>;
