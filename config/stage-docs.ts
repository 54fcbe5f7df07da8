// The job's stage table (docs/job.md), generated from STAGES in jobs/fruits_job/pipeline.py, the one
// list of the stages in the order they run: a stage added there shows up after npm run gen:docs.
// The Python source is read as text (one `Stage(...)` per line; anything else in the list is refused
// rather than skipped), and test/jobs/test_stages_doc.py checks the table against the imported STAGES.
import { code, markdownTable } from './generated-sections.js';

export const PIPELINE_FILE = 'jobs/fruits_job/pipeline.py';

export interface StageDoc {
  name: string;
  /** The module in jobs/fruits_job/stages/ and the function in it that runs the stage. */
  module: string;
  fn: string;
  /** false: a step of the stage before it (no timings_s entry, no progress stage). */
  timed: boolean;
  /** `module.fn` that may return a section instead of running the stage. */
  skipped?: string;
  /** The comment on the entry's line. */
  note?: string;
}

const OPEN = 'STAGES: list[Stage] = [';
const ENTRY = /^Stage\("([\w-]+)",\s*(\w+)\.(\w+)((?:,\s*\w+=[\w.]+)*)\),?\s*(?:#\s*(.*))?$/;

/** STAGES of pipeline.py's source, in order; throws on an entry it cannot read. */
export function parseStages(source: string, where = PIPELINE_FILE): StageDoc[] {
  const at = source.indexOf(OPEN);
  if (at < 0) throw new Error(`${where} has no "${OPEN}"`);
  const stages: StageDoc[] = [];
  for (const line of source.slice(at + OPEN.length).split('\n').slice(1)) {
    const text = line.trim();
    if (text === ']') return stages;
    if (text === '' || text.startsWith('#')) continue;
    const m = ENTRY.exec(text);
    if (!m) throw new Error(`${where}: cannot read the STAGES entry ${JSON.stringify(text)} (write one Stage("name", module.function, ...) per line)`);
    const keywords = Object.fromEntries([...m[4]!.matchAll(/(\w+)=([\w.]+)/g)].map((k) => [k[1]!, k[2]!]));
    const unknown = Object.keys(keywords).filter((k) => k !== 'timed' && k !== 'skipped');
    if (unknown.length || (keywords.timed !== undefined && !['True', 'False'].includes(keywords.timed))) {
      throw new Error(`${where}: the STAGES entry ${JSON.stringify(text)} has an argument the stage table does not know (timed=True|False, skipped=module.function)`);
    }
    stages.push({
      name: m[1]!, module: m[2]!, fn: m[3]!, timed: keywords.timed !== 'False',
      ...(keywords.skipped ? { skipped: keywords.skipped } : {}), ...(m[5] ? { note: m[5].trim() } : {}),
    });
  }
  throw new Error(`${where}: STAGES has no closing "]"`);
}

export function stagesTable(stages: StageDoc[]): string {
  const rows = stages.map((s) => [
    code(s.name),
    `${code(`stages/${s.module}.py`)} ${code(s.fn)}`,
    s.timed ? 'yes' : 'no (a step)',
    [s.skipped ? `${code(s.skipped)} may return its section instead of running it` : '', s.note ?? ''].filter(Boolean).join('; '),
  ]);
  return markdownTable(['stage', 'runs', 'timed (`timings_s`)', 'note'], rows);
}
