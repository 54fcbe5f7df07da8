// The EMR Serverless image installs serverless/requirements-image.txt: it must be what the
// shared installer's rule makes of requirements.txt today, and the rule must be the installer's.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../../helpers/stacks.js';
import { DRIVER_ONLY_LINE, IMAGE_REQUIREMENTS_PATH, imageRequirements, PYSPARK_LINE } from '../../../runner/serverless/image-requirements.js';
import { DEFAULT_RELEASE_LABEL } from '../../../config/index.js';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
const pins = (text: string) => text.split('\n').filter((l) => /^[A-Za-z0-9_.-]+==/.test(l)).map((l) => l.split(/\s/)[0]!);

test('the committed image list is requirements.txt filtered now (else: npm run gen:image-requirements)', () => {
  expect(read(IMAGE_REQUIREMENTS_PATH)).toBe(imageRequirements(read('requirements.txt')));
});

test('the filter is the shared installer\'s (EMR bootstrap, VM setup): the same pyspark and driver-only expressions', () => {
  const installer = read('bootstrap/install-python-requirements.sh');
  expect(installer).toContain("PYSPARK='^[[:space:]]*[Pp][Yy][Ss][Pp][Aa][Rr][Kk][[:space:]]*([=<>!~;[]|$)'");
  expect(installer).toContain("DRIVER_ONLY='^[^#[:space:]].*#[[:space:]]*driver-only'");
  // the same expressions in JavaScript syntax
  expect(PYSPARK_LINE.source).toBe('^[ \\t]*pyspark[ \\t]*([=<>!~;[]|$)');
  expect(DRIVER_ONLY_LINE.source).toBe('^[^#\\s].*#\\s*driver-only');
});

test('no TensorFlow, Keras, converter or pyspark in the image; onnxruntime and the S3 claim are', () => {
  const names = pins(read(IMAGE_REQUIREMENTS_PATH)).map((p) => p.split('==')[0]!.toLowerCase());
  expect(names).toEqual(expect.arrayContaining(['onnxruntime', 'numpy', 'pandas', 'pyarrow', 'pillow', 'boto3']));
  for (const absent of ['tensorflow-cpu', 'keras', 'tf2onnx', 'onnx', 'h5py', 'pyspark']) expect(names).not.toContain(absent);
});

test('a new worker pin in requirements.txt shows up as drift', () => {
  const changed = read('requirements.txt').replace('pillow==11.1.0', 'pillow==11.1.0\nscipy==1.14.1');
  expect(imageRequirements(changed)).toContain('scipy==1.14.1');
  expect(imageRequirements(changed)).not.toBe(read(IMAGE_REQUIREMENTS_PATH));
  // a driver-only addition does not
  expect(imageRequirements(read('requirements.txt').replace('keras==3.15.1  # driver-only', 'keras==3.15.1  # driver-only\njax==0.4.0  # driver-only'))).toBe(read(IMAGE_REQUIREMENTS_PATH));
});

test('requirements.txt without the claim\'s boto3 is refused with the reason', () => {
  expect(() => imageRequirements(read('requirements.txt').replace(/^boto3==.*$/m, ''))).toThrow(/no pin for boto3, which the serverless driver needs/);
});

test('the Dockerfile builds on the EMR Serverless Spark image of the default release and installs the generated list', () => {
  const dockerfile = read('serverless/Dockerfile');
  expect(dockerfile).toContain(`ARG RELEASE_LABEL=${DEFAULT_RELEASE_LABEL}`);
  expect(dockerfile).toContain('FROM public.ecr.aws/emr-serverless/spark/${RELEASE_LABEL}:latest');
  // The build context is serverless/ (image-plan.ts): the list is copied by its name in that folder.
  expect(dockerfile).toContain(`COPY ${basename(IMAGE_REQUIREMENTS_PATH)} `);
  expect(dockerfile).toMatch(/python3\.11 -m venv \/opt\/fruits-venv/);
  expect(dockerfile.trimEnd().split('\n').at(-1)).toBe('USER hadoop:hadoop');
});
