#!/usr/bin/env node
// Launcher for the `fruits` bin: registers tsx so the TypeScript runner runs as is.
import { register } from 'tsx/esm/api';

register();
const { runFromProcess } = await import('./cli.ts');
await runFromProcess();
