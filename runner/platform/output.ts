// Where the runner talks: progress and job logs on stderr (stdout too for humans),
// the final result on stdout (JSON with --json, so scripts can parse it).
import type { Writable } from 'node:stream';

export interface ErrorFields {
  problem: string;
  fix?: string;
}

export interface Output {
  readonly json: boolean;
  /** Status lines overwrite each other (stderr is a terminal). */
  readonly live: boolean;
  /** The terminal stream a live progress bar draws on (stderr), when `live`. */
  readonly liveStream?: Writable;
  /** A progress/info line (stderr). */
  info(msg: string): void;
  /** A status line that overwrites itself on a terminal. */
  status(msg: string): void;
  /** A line of job output: stdout for humans, stderr under --json (stdout stays pure JSON). */
  jobLine(line: string): void;
  /** A machine-readable event under --json: one compact JSON line on stderr (stdout keeps the one result). */
  event(data: Record<string, unknown>): void;
  /** The final result. */
  result(data: unknown, human: string): void;
  /**
   * The one-line failure: `error: ...` on stderr (and under --json a JSON object on stdout
   * with the problem, the fix and the exit code as fields).
   */
  error(message: string, exitCode: number, fields?: ErrorFields): void;
}

export function makeOutput(json: boolean, out: Writable = process.stdout, err: Writable = process.stderr): Output {
  const tty = !json && (err as { isTTY?: boolean }).isTTY === true;
  let statusShown = false;
  const endStatus = () => {
    if (statusShown) err.write('\n');
    statusShown = false;
  };
  return {
    json,
    live: tty,
    liveStream: tty ? err : undefined,
    info: (msg) => {
      endStatus();
      err.write(msg + '\n');
    },
    status: (msg) => {
      if (tty) {
        err.write('\r\x1b[2K' + msg);
        statusShown = true;
      } else err.write(msg + '\n');
    },
    jobLine: (line) => {
      endStatus();
      (json ? err : out).write(line + '\n');
    },
    event: (data) => {
      if (!json) return;
      endStatus();
      err.write(JSON.stringify(data) + '\n');
    },
    result: (data, human) => {
      endStatus();
      out.write((json ? JSON.stringify(data, null, 2) : human) + '\n');
    },
    error: (message, exitCode, fields) => {
      endStatus();
      err.write(`error: ${message}\n`);
      const { problem = message, fix } = fields ?? {};
      if (json) out.write(JSON.stringify({ status: 'error', exitCode, error: message, problem, ...(fix ? { fix } : {}) }) + '\n');
    },
  };
}
