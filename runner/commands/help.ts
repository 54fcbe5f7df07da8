// `fruits help [command]` (runs without the config).
import { usageError } from '../../config/errors.js';
import { commandHelp, commandSpec, globalHelp, tableFor } from '../command-table.js';
import type { CommandHandler } from './handler.js';

export const handle: CommandHandler = async (c) => {
  const topic = c.args[0];
  if (topic !== undefined && !commandSpec(topic, c.contract)) {
    throw usageError(`unknown command "${topic}"`, `use one of ${tableFor(c.contract).commands.map((x) => x.name).join(', ')}`);
  }
  const text = topic ? commandHelp(topic, c.contract) : globalHelp();
  c.out.result({ usage: text }, text);
  return 0;
};
