// Proves that every relative link in the README and the docs points at a file or folder that
// exists: moving code or a doc cannot leave a newcomer a dead link.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../src/paths.js';

const MARKDOWN_LINK = /\]\(([^)\s]+)\)/g;

async function markdownFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await markdownFiles(full)));
    else if (entry.name.endsWith('.md')) found.push(full);
  }
  return found;
}

test('relative links in README.md and docs/ resolve', async () => {
  const files = [path.join(PROJECT_ROOT, 'README.md'), path.join(PROJECT_ROOT, 'bench/README.md'), ...(await markdownFiles(path.join(PROJECT_ROOT, 'docs')))];
  const dead: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const match of (await readFile(file, 'utf8')).matchAll(MARKDOWN_LINK)) {
      const target = match[1]!.split('#')[0]!;
      if (target === '' || /^[a-z]+:/i.test(target)) continue;
      checked++;
      if (!existsSync(path.resolve(path.dirname(file), decodeURI(target)))) dead.push(`${path.relative(PROJECT_ROOT, file)}: ${match[1]}`);
    }
  }
  assert.ok(checked > 50, `checked ${checked} links`);
  assert.deepEqual(dead, []);
});
