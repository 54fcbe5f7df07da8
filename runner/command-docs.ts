// docs/runner.md's command reference: each command's `--help` text, generated from the command
// table, so the page and `fruits <command> --help` cannot disagree.
import { commandHelp, COMMANDS } from './command-table.js';

export function commandReference(): string {
  return COMMANDS.filter((c) => c.name !== 'help')
    .map((c) => `### fruits ${c.name}\n\n\`\`\`text\n${commandHelp(c.name)}\n\`\`\``)
    .join('\n\n');
}
