// Build and push plan of the EMR Serverless image (serverless/Dockerfile): pure, so tests read it
// without a Docker engine. The tag is the content hash of what goes into the image (Dockerfile,
// package list, EMR release), which suits the repository's immutable tags: the same inputs never
// get a second image, changed inputs always get a new tag.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IMAGE_REQUIREMENTS_PATH } from './image-requirements.js';

export const DOCKERFILE_PATH = 'serverless/Dockerfile';

export interface ImageStep {
  /** What the step does, for humans. */
  title: string;
  /** argv; a step with `stdinFrom` reads the previous argv's stdout (a shell pipe). */
  argv: string[];
  stdinFrom?: string[];
  /** The step may fail without failing the plan (an exit code that carries an answer). */
  probe?: boolean;
}

export interface ImagePlan {
  tag: string;
  imageUri: string;
  steps: ImageStep[];
}

/** Pure: the tag of these image inputs, "fruits-" + 16 hex of their sha256. */
export function imageTag(inputs: { dockerfile: string; requirements: string; releaseLabel: string }): string {
  const h = createHash('sha256');
  for (const part of [inputs.releaseLabel, inputs.dockerfile, inputs.requirements]) h.update(`${part.length}:${part}`);
  return `fruits-${h.digest('hex').slice(0, 16)}`;
}

/** Side effect: reads the Dockerfile and the package list of the checkout. */
export function readImageInputs(root: string, releaseLabel: string) {
  return {
    dockerfile: readFileSync(join(root, DOCKERFILE_PATH), 'utf8'),
    requirements: readFileSync(join(root, IMAGE_REQUIREMENTS_PATH), 'utf8'),
    releaseLabel,
  };
}

/** "123456789012.dkr.ecr.us-east-1.amazonaws.com/fruits-job" -> registry and repository name. */
export function splitRepositoryUrl(url: string): { registry: string; name: string } {
  const slash = url.indexOf('/');
  if (slash <= 0 || slash === url.length - 1) throw new Error(`"${url}" is not an ECR repository URL (registry/name)`);
  return { registry: url.slice(0, slash), name: url.slice(slash + 1) };
}

/** Pure: the commands that build the image for linux/amd64 and push it, skipping both when the tag exists. */
export function imagePlan(o: { repositoryUrl: string; region: string; releaseLabel: string; tag: string }): ImagePlan {
  const { registry, name } = splitRepositoryUrl(o.repositoryUrl);
  const imageUri = `${o.repositoryUrl}:${o.tag}`;
  return {
    tag: o.tag,
    imageUri,
    steps: [
      {
        title: 'is this tag already in the repository (then nothing to build)',
        argv: ['aws', 'ecr', 'describe-images', '--region', o.region, '--repository-name', name, '--image-ids', `imageTag=${o.tag}`],
        probe: true,
      },
      {
        title: 'log Docker in to the stack\'s ECR registry',
        stdinFrom: ['aws', 'ecr', 'get-login-password', '--region', o.region],
        argv: ['docker', 'login', '--username', 'AWS', '--password-stdin', registry],
      },
      {
        // EMR Serverless runs x86_64 here (the application's architecture), whatever the build machine is.
        title: `build ${DOCKERFILE_PATH} on the EMR Serverless ${o.releaseLabel} image`,
        // Context: the Dockerfile's folder only (a checkout's .venv and node_modules are gigabytes).
        argv: ['docker', 'build', '--platform', 'linux/amd64', '--build-arg', `RELEASE_LABEL=${o.releaseLabel}`, '-f', DOCKERFILE_PATH, '-t', imageUri, dirname(DOCKERFILE_PATH)],
      },
      { title: 'push it (the repository scans it on push)', argv: ['docker', 'push', imageUri] },
    ],
  };
}

/** A step as one shell-like line, for --dry-run and logs. */
export function stepLine(step: ImageStep): string {
  const q = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const line = step.argv.map(q).join(' ');
  return step.stdinFrom ? `${step.stdinFrom.map(q).join(' ')} | ${line}` : line;
}
