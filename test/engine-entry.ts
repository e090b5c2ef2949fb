// Lets scripts outside the test suite (bench/) call the engine as built by esbuild.
export * from '../src/engine/index.js';
