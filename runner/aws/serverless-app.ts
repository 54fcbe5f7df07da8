// The EMR Serverless application of a compute "serverless" stack: whether it can run the job (it
// exists, is not TERMINATED, and runs the job's image: EMR's default image has Python 3.9, which the
// pinned packages do not support). Used before a run and by `fruits doctor`.
import { GetApplicationCommand, type Application, type EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { envError, type FruitsError } from '../../config/errors.js';
import { fromAwsError } from './errors.js';
import { DEPLOY_HINT } from './stack-outputs.js';

export const IMAGE_HINT = 'push the job image (npm run image -- push), set serverless.imageTag to the tag it prints and deploy again';

/** Pure: why this application cannot run the job, or undefined. */
export function applicationProblem(applicationId: string, app: Application | undefined): FruitsError | undefined {
  if (!app || app.state === 'TERMINATED') return envError(`EMR Serverless application ${applicationId} is ${app?.state ?? 'gone'}`, DEPLOY_HINT);
  if (!app.imageConfiguration?.imageUri) {
    return envError(`EMR Serverless application ${applicationId} runs EMR's default image (Python 3.9), which cannot run the job`, IMAGE_HINT);
  }
  return undefined;
}

/** GetApplication, then the one-line error of applicationProblem. */
export async function checkApplication(serverless: EMRServerlessClient, applicationId: string): Promise<Application> {
  let app: Application | undefined;
  try {
    app = (await serverless.send(new GetApplicationCommand({ applicationId }))).application;
  } catch (e) {
    throw fromAwsError(e, `GetApplication ${applicationId}`);
  }
  const problem = applicationProblem(applicationId, app);
  if (problem) throw problem;
  return app!;
}
