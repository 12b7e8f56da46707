import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Builds a checkout of the project (this one, or another git ref's worktree) into its dist/ with
// this checkout's TypeScript, as `npm run build` does.

const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

export function buildProject(root: string): void {
  const build = spawnSync(process.execPath, [TSC, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`${root} does not build:\n${build.stdout}${build.stderr}`);
}
