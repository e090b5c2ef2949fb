declare const ARCHON_VERSION: string | undefined;

/** Injected by the esbuild script from package.json. */
export const VERSION: string = typeof ARCHON_VERSION === 'string' ? ARCHON_VERSION : '0.0.0-dev';
