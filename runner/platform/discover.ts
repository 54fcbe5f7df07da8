// Finds the local python, spark-submit and java (filesystem lookups and one python call).
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { capture } from './process.js';
import { envError } from '../../config/errors.js';

export function which(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Python for the driver and executors: config > active venv > repo .venv > python3 on PATH. */
export function findPython(configured: string | undefined, root: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    configured,
    env.VIRTUAL_ENV ? join(env.VIRTUAL_ENV, 'bin', 'python') : undefined,
    join(root, '.venv', 'bin', 'python'),
  ].filter((p): p is string => !!p);
  if (configured && !isExecutable(configured)) {
    throw envError(`python ${configured} is not executable`, 'fix local.python / FRUITS_PYTHON');
  }
  const found = candidates.find(isExecutable) ?? which('python3', env);
  if (!found) throw envError('no python found', 'create the venv (python3.11 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt) or set FRUITS_PYTHON');
  return found;
}

/** spark-submit: config > SPARK_HOME > next to python (venv bin) > the pyspark install > PATH. */
export async function findSparkSubmit(configured: string | undefined, python: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (configured) {
    if (!isExecutable(configured)) throw envError(`spark-submit ${configured} is not executable`, 'fix local.sparkSubmit / FRUITS_SPARK_SUBMIT');
    return configured;
  }
  const looked: string[] = [];
  const tryPath = (p: string) => {
    looked.push(p);
    return isExecutable(p) ? p : undefined;
  };
  if (env.SPARK_HOME) {
    const p = tryPath(join(env.SPARK_HOME, 'bin', 'spark-submit'));
    if (p) return p;
  }
  const besidePython = tryPath(join(dirname(python), 'spark-submit'));
  if (besidePython) return besidePython;
  const r = await capture([python, '-c', 'import pyspark,os;print(os.path.dirname(pyspark.__file__))'], { timeoutMs: 30_000 });
  if (r.exitCode === 0) {
    const p = tryPath(join(r.stdout.trim(), 'bin', 'spark-submit'));
    if (p) return p;
  }
  const onPath = which('spark-submit', env);
  if (onPath) return onPath;
  throw envError(
    `spark-submit not found (looked in ${[...looked, 'PATH'].join(', ')})`,
    'install the pinned pyspark (.venv/bin/pip install -r requirements-dev.txt) or set SPARK_HOME / FRUITS_SPARK_SUBMIT',
  );
}

export function findJava(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.JAVA_HOME) {
    const p = join(env.JAVA_HOME, 'bin', 'java');
    if (existsSync(p)) return p;
  }
  return which('java', env);
}

export const JAVA_HINT = 'install Java 17 (apt-get install openjdk-17-jre-headless) or set JAVA_HOME';
