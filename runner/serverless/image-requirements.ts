// The package list of the EMR Serverless image (serverless/requirements-image.txt), derived from
// requirements.txt by the EMR bootstrap's own rule (bootstrap/emr-install-python-deps.sh):
//  - no pyspark line: the base image ships Spark and its pyspark;
//  - no `# driver-only` line (TensorFlow, Keras, tf2onnx, onnx and what only they need): the
//    serverless driver reads converted .onnx weights, like the workers;
// except the driver's S3 run claim (jobs/fruits_job/s3_claim.py: boto3 and its dependencies),
// because on Serverless the driver runs in the same image as the workers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** --skip-pyspark rule of bootstrap/install-python-requirements.sh: the pyspark pin (any comparison or marker after the name). */
export const PYSPARK_LINE = /^[ \t]*pyspark[ \t]*([=<>!~;[]|$)/i;
/** worker rule of bootstrap/install-python-requirements.sh: a pin line (not a comment) tagged driver-only. */
export const DRIVER_ONLY_LINE = /^[^#\s].*#\s*driver-only/;
/** Driver-only pins the serverless driver needs anyway: the run claim's boto3 closure. */
export const SERVERLESS_DRIVER_EXTRAS = ['boto3', 'botocore', 'jmespath', 's3transfer', 'urllib3'] as const;

export const IMAGE_REQUIREMENTS_PATH = 'serverless/requirements-image.txt';

const pinName = (line: string): string | undefined => /^([A-Za-z0-9_.-]+)\s*==/.exec(line.trim())?.[1];
const canonical = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** Pure: requirements.txt text -> the image's requirements text (header + kept pin lines, in order). */
export function imageRequirements(requirements: string): string {
  const extras = new Set<string>(SERVERLESS_DRIVER_EXTRAS.map(canonical));
  const kept = requirements.split('\n').filter((line) => {
    const name = pinName(line);
    if (!name || PYSPARK_LINE.test(line)) return false;
    return !DRIVER_ONLY_LINE.test(line) || extras.has(canonical(name));
  });
  const missing = [...extras].filter((e) => !kept.some((l) => canonical(pinName(l)!) === e));
  if (missing.length) throw new Error(`requirements.txt has no pin for ${missing.join(', ')}, which the serverless driver needs`);
  return [
    '# GENERATED from requirements.txt by runner/serverless/image-requirements.ts (npm run gen:image-requirements).',
    '# Do not edit: the EMR Serverless image (serverless/Dockerfile) installs exactly these pins.',
    '# Rule: no pyspark line, no `# driver-only` line except the S3 run claim (boto3 and its dependencies).',
    ...kept.map((l) => l.trimEnd()),
    '',
  ].join('\n');
}

/** Side effect: regenerates serverless/requirements-image.txt; returns whether it changed. */
export function writeImageRequirements(root: string): boolean {
  const want = imageRequirements(readFileSync(join(root, 'requirements.txt'), 'utf8'));
  const path = join(root, IMAGE_REQUIREMENTS_PATH);
  let have = '';
  try {
    have = readFileSync(path, 'utf8');
  } catch {
    // first generation
  }
  if (have === want) return false;
  writeFileSync(path, want);
  return true;
}
