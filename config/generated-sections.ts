// Reference text generated from the code (npm run gen:docs) lives in the docs between a pair of
// markers per section; everything outside the markers is written by hand. Pure text in, text out:
// scripts/gen-docs.ts writes the files and test/unit/docs/generated.test.ts fails on drift.

const start = (id: string) => `<!-- generated:${id}:start (npm run gen:docs; do not edit by hand) -->`;
const end = (id: string) => `<!-- generated:${id}:end -->`;

/** `text` with the section `id` replaced by `body`; throws when the markers are missing. */
export function replaceSection(text: string, id: string, body: string, where = 'the page'): string {
  const a = text.indexOf(start(id));
  const b = text.indexOf(end(id));
  if (a < 0 || b < a) throw new Error(`${where} has no ${start(id)} ... ${end(id)} markers`);
  return `${text.slice(0, a)}${start(id)}\n${body.trimEnd()}\n${text.slice(b)}`;
}

/**
 * A Markdown table cell: pipes escaped, line breaks folded, and `<` outside code spans written as
 * `&lt;` (help texts say `<root>`, which a Markdown renderer would take for an HTML tag).
 */
export const cell = (s: string): string =>
  s.replace(/\|/g, '\\|').replace(/\n/g, ' ').split('`').map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;'))).join('`');
export const code = (s: string): string => `\`${s}\``;

export function markdownTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}
