// `npm ci` and `npm install` run this (the `prepare` script): they compile TypeScript to dist/ once,
// so that `npm start` and the other commands start the built code at once. A production install
// (`npm ci --omit=dev`) has no compiler: it keeps the dist/ that a build with dev dependencies made.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let compiler;
try {
  compiler = require.resolve('typescript/bin/tsc');
} catch {
  console.log('prepare: TypeScript is not installed (production install): using the dist/ already built');
  process.exit(0);
}
const build = spawnSync(process.execPath, [compiler, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
