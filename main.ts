// CDKTF entry point (cdktf.json: `npx tsx main.ts`). Loads and validates the config once,
// then builds the stacks. Bad settings print one `error: ...` line and exit 2.
// fruits-state needs no operator settings: without operatorCidr/publicKeyPath only it is
// built (one `note: ...` line says why fruits-emr is missing), so the state bucket can be
// deployed first.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { ConfigError, operatorAccessProblem, requireOperatorAccess } from './stacks/config.js';
import { loadConfig, readPublicKey } from './stacks/config-loader.js';
import { FruitsEmrStack } from './stacks/emr-stack.js';
import { EMR_STACK_ID, STATE_STACK_ID } from './stacks/names.js';
import { FruitsStateStack } from './stacks/state-stack.js';

const repoRoot = dirname(fileURLToPath(import.meta.url));

try {
  const config = loadConfig();
  const app = new App();
  new FruitsStateStack(app, STATE_STACK_ID, { config });
  const missing = operatorAccessProblem(config);
  if (missing) {
    console.error(`note: ${EMR_STACK_ID} not synthesized (only ${STATE_STACK_ID}): ${missing}`);
  } else {
    const emrConfig = requireOperatorAccess(config);
    const publicKey = readPublicKey(emrConfig);
    new FruitsEmrStack(app, EMR_STACK_ID, { config: emrConfig, publicKey, repoRoot });
  }
  app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
