// The job's reference tables (options, run folder, summary.json), generated from the job's own
// contract (jobs/fruits_job/contract.json), so the docs say exactly what the job accepts and writes.
import { code, markdownTable } from './generated-sections.js';

/** The parts of contract.json the tables read (the full shape is the job's: contract.py). */
export interface ContractDoc {
  options: Record<string, {
    type: string; required?: boolean; metavar?: string; help: string; default?: unknown; default_text?: string;
    min?: number; max?: number; min_exclusive?: boolean; max_exclusive?: boolean; choices?: string[];
    pattern_text?: string; exclusive_with?: string[]; forms?: Record<string, string>;
  }>;
  run_folder: { path: string; files: Record<string, { path: string; kind: string; when: string; description: string }> };
  summary: {
    file: string;
    fields: Record<string, { type: string; when: string; description: string; fields?: string[]; not_recorded?: Record<string, string> }>;
  };
}

function accepts(o: ContractDoc['options'][string]): string {
  if (o.type === 'flag') return 'flag';
  if (o.choices) return o.choices.map(code).join(' | ');
  if (o.type === 'integer' || o.type === 'number') {
    const lo = o.min === undefined ? '' : `${o.min_exclusive ? '>' : '≥'} ${o.min}`;
    const hi = o.max === undefined ? '' : `${o.max_exclusive ? '<' : '≤'} ${o.max}`;
    return [o.type, [lo, hi].filter(Boolean).join(', ')].filter(Boolean).join(' ');
  }
  return o.pattern_text ?? o.metavar ?? 'text';
}

function defaultOf(o: ContractDoc['options'][string]): string {
  if (o.required) return 'required';
  if (o.type === 'flag') return 'off';
  if (o.default_text) return o.default_text;
  if (o.default === undefined || o.default === null) return '–';
  return code(String(o.default));
}

export function jobOptionsTable(c: ContractDoc): string {
  const rows = Object.entries(c.options).map(([name, o]) => {
    const extra = [
      o.exclusive_with?.length ? `exclusive with ${o.exclusive_with.map((n) => code(`--${n}`)).join(', ')}` : '',
      o.forms ? Object.entries(o.forms).map(([form, what]) => `${code(form)}: ${what}`).join('; ') : '',
    ].filter(Boolean);
    return [code(`--${name}`), accepts(o), defaultOf(o), [o.help, ...extra].join('. ')];
  });
  return markdownTable(['option', 'accepts', 'default', 'meaning'], rows);
}

export function runFolderTable(c: ContractDoc): string {
  const rows = Object.values(c.run_folder.files).map((f) => [code(f.path), f.kind, f.when, f.description]);
  return `Under ${code(c.run_folder.path)}:\n\n${markdownTable(['path', 'what', 'written when', 'holds'], rows)}`;
}

export function summaryTable(c: ContractDoc): string {
  const rows = Object.entries(c.summary.fields).map(([name, f]) => {
    const fields = f.fields ? `: ${f.fields.map(code).join(', ')}` : '';
    const notRecorded = Object.entries(f.not_recorded ?? {}).map(([option, why]) => `${code(`--${option}`)} (${why})`);
    return [code(name), f.type, f.when, `${f.description}${fields}${notRecorded.length ? `; not recorded: ${notRecorded.join(', ')}` : ''}`];
  });
  return markdownTable(['field', 'type', 'present', 'meaning'], rows);
}
