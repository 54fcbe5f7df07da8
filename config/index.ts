// fruits.config.json: one schema (schema.ts), one loader (loader.ts), its rules (rules.ts)
// and its error (errors.ts), shared by main.ts / stacks/ and the runner.
export * from './errors.js';
export * from './rules.js';
export * from './loader.js';
export { configSchema, RUNNER_SECTIONS } from './schema.js';
