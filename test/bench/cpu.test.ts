// Proves the bench's CPU meter finds a process's children (the postmaster's backends) and counts
// the CPU a busy child spends, from /proc as the bench reads it during every measurement.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuMeter, processTree } from '../../bench/cpu.js';

test('processTree lists the root and every child it started', async () => {
  const children = [spawn('sleep', ['30']), spawn('sleep', ['30'])];
  try {
    const tree = await processTree(process.pid);
    assert.equal(tree[0], process.pid);
    for (const child of children) assert.ok(tree.includes(child.pid!), `${child.pid} missing from ${tree.join(' ')}`);
  } finally {
    for (const child of children) child.kill();
  }
});

test('CpuMeter counts the CPU of a busy child found through processTree', async () => {
  const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 1500; while (Date.now() < end);']);
  const meter = await CpuMeter.start({ children: async () => (await processTree(process.pid)).slice(1) });
  await once(busy, 'exit');
  const percent = await meter.stop();
  // The child spins for 1.5 s of a measurement about as long: most of one core on an idle machine.
  // A meter that misses the child reads 0; the margin leaves room for a machine busy with other tests.
  assert.ok(percent.children! > 10, `children: ${percent.children}%`);
  assert.ok(percent.machine! >= percent.children! - 5, JSON.stringify(percent));
});
