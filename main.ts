// CDKTF entry point (cdktf.json: `npx tsx main.ts`). Loads and validates the config once,
// then builds the two stacks. Bad settings print one `error: ...` line and exit 2.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { ConfigError } from './stacks/config.js';
import { loadConfig, readPublicKey } from './stacks/config-loader.js';
import { FruitsEmrStack } from './stacks/emr-stack.js';
import { EMR_STACK_ID, STATE_STACK_ID } from './stacks/layout.js';
import { FruitsStateStack } from './stacks/state-stack.js';

const repoRoot = dirname(fileURLToPath(import.meta.url));

try {
  const config = loadConfig();
  const publicKey = readPublicKey(config);
  const app = new App();
  new FruitsStateStack(app, STATE_STACK_ID, { config });
  new FruitsEmrStack(app, EMR_STACK_ID, { config, publicKey, repoRoot });
  app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
