#!/usr/bin/env node
// Kept for scripts written before the runner moved to runner/: `node scripts/fruits.mjs ...`
// still works. New scripts: `npx fruits ...` or `node runner/fruits.mjs ...`.
await import('../runner/fruits.mjs');
