// Thin adapter over execa: run a process, stream its lines, report exit code.
import { execa, type ResultPromise } from 'execa';
import { createInterface } from 'node:readline';

export interface StreamOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Own process group: a terminal Ctrl-C then reaches only the runner, which decides what to stop. */
  detached?: boolean;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

export interface ProcessResult {
  exitCode: number | undefined;
  signal: string | undefined;
  /** Last lines of stderr, for one-line error messages. */
  stderrTail: string[];
  /** Set when the executable itself could not be started (ENOENT, EACCES). */
  spawnError?: string;
  /** execa's error behind spawnError (the cause of the runner's error, FRUITS_DEBUG=1 shows it). */
  spawnCause?: unknown;
}

export interface RunningProcess {
  pid: number | undefined;
  done: Promise<ProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

export function startProcess(argv: string[], o: StreamOptions = {}): RunningProcess {
  const [file, ...args] = argv;
  const child: ResultPromise = execa(file!, args, {
    env: o.env,
    extendEnv: true,
    cwd: o.cwd,
    reject: false,
    stdin: 'ignore',
    detached: o.detached ?? false,
    buffer: false,
    // Never kill a detached child on our exit: the runner stops it itself.
    cleanup: !o.detached,
  });
  const tail: string[] = [];
  const readers: Promise<void>[] = [];
  const follow = (stream: NodeJS.ReadableStream | null | undefined, cb: ((l: string) => void) | undefined, keep: boolean) => {
    if (!stream) return;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      if (keep) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
      cb?.(line);
    });
    readers.push(new Promise((res) => rl.once('close', () => res())));
  };
  follow(child.stdout, o.onStdoutLine, false);
  follow(child.stderr, o.onStderrLine, true);
  const done = (async (): Promise<ProcessResult> => {
    const r = await child;
    await Promise.all(readers);
    const code = (r as { code?: string }).code;
    const spawnError = code === 'ENOENT' || code === 'EACCES' ? `${file}: ${code === 'ENOENT' ? 'not found' : 'permission denied'}` : undefined;
    return { exitCode: r.exitCode, signal: r.signal ?? undefined, stderrTail: tail, spawnError, ...(spawnError ? { spawnCause: r } : {}) };
  })();
  return { pid: child.pid, done, kill: (sig = 'SIGTERM') => child.kill(sig) };
}

/** Runs to completion and returns stdout/stderr (for short commands: versions, checks). */
export async function capture(argv: string[], o: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}) {
  const [file, ...args] = argv;
  const r = await execa(file!, args, { env: o.env, cwd: o.cwd, reject: false, stdin: 'ignore', timeout: o.timeoutMs ?? 60_000 });
  const code = (r as { code?: string }).code;
  return {
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    notFound: code === 'ENOENT' || code === 'EACCES',
    /** execa's result (an error when the command could not start or failed). */
    raw: r as unknown,
  };
}
