#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx occupancy` works from a fresh clone without a build step.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const tsx = require.resolve('tsx/cli');
const cli = path.join(__dirname, '..', 'local', 'cli.ts');
const result = spawnSync(process.execPath, [tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
