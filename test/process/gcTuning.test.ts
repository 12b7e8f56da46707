// Proves the server's V8 garbage-collection settings take: this Node's V8 knows both flags (an
// unknown one is only reported on stderr, and the server would run untuned), and the server
// imports them before any other module, so no request code is compiled before they apply.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROJECT_ROOT } from '../../src/paths.js';

test("this Node's V8 accepts every GC flag the server sets", () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main/gcTuning.ts')], { encoding: 'utf8' });
  assert.equal(run.stderr, '');
  assert.equal(run.status, 0);
});

test('the server imports its GC settings before anything else', () => {
  const source = readFileSync(path.join(PROJECT_ROOT, 'src/main/server.ts'), 'utf8');
  const firstImport = source.split('\n').find((line) => line.startsWith('import '));
  assert.equal(firstImport, "import './gcTuning.js';");
});
