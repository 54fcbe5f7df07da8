// Builds fruits_job.zip (root holds the fruits_job/ folder) for --py-files, with yazl.
// Which files go in is the job's own rule (jobs/fruits_job/packaging.json), which the job's
// self-shipping (fruits_job/packaging.py) reads too, so both ship the same members.
import { createWriteStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { usageError } from '../../config/errors.js';

export const PACKAGE_RULE_FILE = 'packaging.json';

export interface PackageRule {
  includeSuffixes: string[];
  excludeNames: string[];
}

/** Reads the package's rule file; a missing or broken one is a usage error. */
export function readPackageRule(packageDir: string): PackageRule {
  const file = join(packageDir, PACKAGE_RULE_FILE);
  if (!existsSync(file)) {
    throw usageError(`job package rule ${file} not found`, 'set jobDir / FRUITS_JOB_DIR to a job checkout whose fruits_job/ holds packaging.json');
  }
  let rule: Partial<PackageRule>;
  try {
    rule = JSON.parse(readFileSync(file, 'utf8')) as Partial<PackageRule>;
  } catch (e) {
    throw usageError(`cannot parse ${file}`, 'fix the JSON (see jobs/fruits_job/packaging.json)', { cause: e });
  }
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!strings(rule.includeSuffixes) || !(rule.excludeNames === undefined || strings(rule.excludeNames))) {
    throw usageError(`${file} needs includeSuffixes (and optional excludeNames) as lists of strings`, 'fix the rule file (see jobs/fruits_job/packaging.json)');
  }
  return { includeSuffixes: rule.includeSuffixes, excludeNames: rule.excludeNames ?? [] };
}

/** Code-point order (UTF-8 bytes), the order Python's sorted() gives the same names. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * [archive name, file path] of every file the rule keeps, sorted by archive name: walk
 * recursively, skip names in excludeNames or starting with '.', keep files ending with
 * one of includeSuffixes. Symlinked folders are not entered (as Python's os.walk).
 */
export function packageMembers(packageDir: string, rootName = 'fruits_job'): [string, string][] {
  const rule = readPackageRule(packageDir);
  const skip = (name: string) => rule.excludeNames.includes(name) || name.startsWith('.');
  const members: [string, string][] = [];
  const walk = (dir: string, prefix: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (skip(d.name)) continue;
      const path = join(dir, d.name);
      if (d.isDirectory()) walk(path, `${prefix}${d.name}/`);
      else if ((d.isFile() || (d.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile())) && rule.includeSuffixes.some((s) => d.name.endsWith(s))) {
        members.push([`${prefix}${d.name}`, path]);
      }
    }
  };
  walk(packageDir, `${rootName}/`);
  return members.sort((a, b) => byCodePoint(a[0], b[0]));
}

export interface JobFiles {
  runJob: string;
  packageDir: string;
}

/** Checks that jobDir holds the job; one-line error otherwise. */
export function locateJob(jobDir: string): JobFiles {
  const runJob = join(jobDir, 'run_job.py');
  const packageDir = join(jobDir, 'fruits_job');
  if (!existsSync(runJob)) throw usageError(`job entry ${runJob} not found`, 'set jobDir / FRUITS_JOB_DIR to the folder holding run_job.py');
  if (!existsSync(packageDir) || !statSync(packageDir).isDirectory()) {
    throw usageError(`job package ${packageDir} not found`, 'set jobDir / FRUITS_JOB_DIR to the folder holding fruits_job/');
  }
  return { runJob, packageDir };
}

// Fixed entry metadata, so equal files give equal bytes whatever their mtime, mode or the
// time zone: a local-time date with DOS timestamps only (yazl's UT field would be UTC).
const ENTRY = { mtime: new Date(2020, 0, 1), mode: 0o100644, forceDosTimestamp: true, compressionLevel: 6 } as const;

/** Side effect: writes <dest> holding fruits_job/** by the package rule. Returns the entry names. */
export async function writeJobZip(jobDir: string, dest: string): Promise<string[]> {
  const { packageDir } = locateJob(jobDir);
  const members = packageMembers(packageDir);
  const zip = new ZipFile();
  for (const [name, path] of members) zip.addFile(path, name, ENTRY);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(dest));
  return members.map(([name]) => name);
}
