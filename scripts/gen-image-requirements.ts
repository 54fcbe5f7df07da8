// npm run gen:image-requirements: regenerates serverless/requirements-image.txt from requirements.txt.
import { repoRoot } from '../config/index.js';
import { IMAGE_REQUIREMENTS_PATH, writeImageRequirements } from '../runner/serverless/image-requirements.js';

const changed = writeImageRequirements(repoRoot());
process.stdout.write(`${IMAGE_REQUIREMENTS_PATH} ${changed ? 'regenerated' : 'already up to date'}\n`);
