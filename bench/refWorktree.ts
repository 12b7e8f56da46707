import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildProject } from './projectBuild.js';

// Another git ref of the project, checked out beside the working tree for a same-run A/B: a
// detached `git worktree` in a temporary folder, with this tree's node_modules linked in when both
// lock the same dependencies, else its own installed (`npm ci`, no install scripts), built with
// tsc. Removed again afterwards, with its worktree entry.

export interface RefCheckout {
  root: string;
  ref: string;
  commit: string;
  remove(): Promise<void>;
}

export async function checkOutRef(repository: string, ref: string): Promise<RefCheckout> {
  const commit = git(repository, ['rev-parse', '--verify', `${ref}^{commit}`]);
  assertMigrationsAreASubset(repository, commit, ref);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'ledger-bench-ab-'));
  const root = path.join(folder, 'checkout');
  git(repository, ['worktree', 'add', '--detach', root, commit]);
  const remove = async () => {
    spawnSync('git', ['worktree', 'remove', '--force', root], { cwd: repository });
    await rm(folder, { recursive: true, force: true });
  };
  try {
    await provideDependencies(repository, root);
    buildProject(root);
  } catch (error) {
    await remove();
    throw error;
  }
  return { root, ref, commit, remove };
}

async function provideDependencies(repository: string, root: string): Promise<void> {
  const lockFile = 'package-lock.json';
  if (readFileSync(path.join(repository, lockFile), 'utf8') === readFileSync(path.join(root, lockFile), 'utf8')) {
    await symlink(path.join(repository, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    return;
  }
  const install = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm ci in the ref's checkout failed:\n${install.stderr}`);
}

/** This working tree's HEAD, and whether it has changes not committed (B runs them). */
export function describeWorkingTree(repository: string): { commit: string; uncommittedChanges: boolean } {
  return { commit: git(repository, ['rev-parse', 'HEAD']), uncommittedChanges: git(repository, ['status', '--porcelain']) !== '' };
}

/**
 * Both services share one database migrated by this tree's migrations, which must therefore
 * include every migration of the ref (migrations are additive: the ref's code still finds its
 * tables and functions). A ref ahead of this tree is refused rather than run on a schema it lacks.
 */
function assertMigrationsAreASubset(repository: string, commit: string, ref: string): void {
  const ours = new Set(readdirSync(path.join(repository, 'migrations')));
  const theirs = git(repository, ['ls-tree', '--name-only', `${commit}:migrations`]).split('\n').filter(Boolean);
  const missing = theirs.filter((name) => !ours.has(name));
  if (missing.length > 0) {
    throw new Error(`${ref} has migrations this working tree lacks (${missing.join(', ')}): run the A/B from the newer tree`);
  }
}

function git(repository: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd: repository, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout.trim();
}
