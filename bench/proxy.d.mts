// Types for proxy.mjs, for the TypeScript tests that put a server behind it.
export type CutAfter = number | { fraction: number; of: number };

export interface Proxy {
  port: number;
  moved: { toServer: number; fromServer: number };
  cuts: { atBytes: number; connections: number }[];
  cutAfter(bytes: CutAfter): void;
  uncut(): void;
  close(): Promise<void>;
}

export function startProxy(opts: {
  target: { host: string; port: number };
  bytesPerSecond?: number;
  latencyMs?: number;
  cutAfter?: CutAfter;
}): Promise<Proxy>;
