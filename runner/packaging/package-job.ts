// Builds fruits_job.zip (root holds the fruits_job/ folder) for --py-files.
// A tiny zip writer (deflate + crc32 from node:zlib) keeps this dependency-free.
import { deflateRawSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { usageError } from '../platform/errors.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** Pure: a zip archive of the entries (fixed timestamp so equal inputs give equal bytes). */
export function buildZip(entries: ZipEntry[]): Buffer {
  const DOS_TIME = 0, DOS_DATE = (1 << 5) | 1 | ((2020 - 1980) << 9); // 2020-01-01
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const deflated = deflateRawSync(e.data);
    const useDeflate = deflated.length < e.data.length;
    const body = useDeflate ? deflated : e.data;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(useDeflate ? 8 : 0, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by unix, v3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(useDeflate ? 8 : 0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const SKIP = (name: string) => name === '__pycache__' || name.endsWith('.pyc') || name.startsWith('.');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => !SKIP(d.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : []));
}

export interface JobFiles {
  runJob: string;
  packageDir: string;
}

/** Checks that jobDir holds the job; one-line error otherwise. */
export function locateJob(jobDir: string): JobFiles {
  const runJob = join(jobDir, 'run_job.py');
  const packageDir = join(jobDir, 'fruits_job');
  if (!existsSync(runJob)) throw usageError(`job entry ${runJob} not found: set jobDir / FRUITS_JOB_DIR to the folder holding run_job.py`);
  if (!existsSync(packageDir) || !statSync(packageDir).isDirectory()) {
    throw usageError(`job package ${packageDir} not found: set jobDir / FRUITS_JOB_DIR to the folder holding fruits_job/`);
  }
  return { runJob, packageDir };
}

/** Side effect: writes <dest> holding fruits_job/** (no caches). Returns the entry names. */
export function writeJobZip(jobDir: string, dest: string): string[] {
  const { packageDir } = locateJob(jobDir);
  const entries = walk(packageDir).map((f) => ({
    name: relative(jobDir, f).split(sep).join('/'),
    data: readFileSync(f),
  }));
  writeFileSync(dest, buildZip(entries));
  return entries.map((e) => e.name);
}
