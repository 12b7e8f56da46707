// Proves the server's V8 garbage-collection flags take: this Node's V8 knows both (an unknown one
// is only reported on stderr, and the server would run untuned), every start command passes them
// on node's command line (npm start, Railway, Nixpacks), and no code sets flags after start-up.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROJECT_ROOT } from '../../src/paths.js';
import { missingServerV8Flags, SERVER_V8_FLAGS } from '../../src/main/gcTuning.js';

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const SERVER_ENTRY = 'dist/src/main/server.js';

test("this Node's V8 accepts every flag the server runs with", () => {
  const run = spawnSync(process.execPath, [...SERVER_V8_FLAGS, '-e', ''], { encoding: 'utf8' });
  assert.equal(run.stderr, '');
  assert.equal(run.status, 0);
});

test('npm start, railway.json and nixpacks.toml start the server with the flags on the command line', () => {
  const startCommands = {
    'npm start': (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!,
    'railway.json': (JSON.parse(read('railway.json')) as { deploy: { startCommand: string } }).deploy.startCommand,
    'nixpacks.toml': /^\[start\][^[]*?^cmd = "([^"]+)"/m.exec(read('nixpacks.toml'))?.[1] ?? '',
  };
  for (const [where, command] of Object.entries(startCommands)) {
    const words = command.split(/\s+/);
    const node = words.indexOf('node');
    assert.ok(node >= 0, `${where}: ${command}`);
    assert.deepEqual(missingServerV8Flags(words.slice(node + 1, words.indexOf(SERVER_ENTRY))), [], `${where}: ${command}`);
  }
});

test('no source file sets V8 flags after start-up', () => {
  const sources = (folder: string): string[] =>
    readdirSync(path.join(PROJECT_ROOT, folder), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(path.join(folder, entry.name)) : entry.name.endsWith('.ts') ? [path.join(folder, entry.name)] : [],
    );
  for (const file of [...sources('src'), ...sources('partitions')]) {
    assert.doesNotMatch(read(file), /setFlagsFromString\(/, file);
  }
});
