// Proves the bench's CPU meter finds a process's children (the postmaster's backends) and counts
// the CPU a busy child spends, and that the main-thread figure counts the main thread alone (not a
// busy worker thread), from /proc as the bench reads it during every measurement.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuMeter, mainThreadCpuSeconds, processTree } from '../../bench/cpu.js';

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

// A worker thread spins for 1 s while the main thread waits, then the main thread spins for 1 s.
const WORKER_THEN_MAIN = `
const { Worker } = require('node:worker_threads');
const spin = 'const end = Date.now() + 1000; while (Date.now() < end);';
console.log('started');
new Worker(spin, { eval: true }).once('exit', () => {
  console.log('worker done');
  eval(spin);
  console.log('main done');
  setTimeout(() => {}, 30000);
});`;

test('mainThreadCpuSeconds counts the main thread, not a busy worker thread of the same process', async () => {
  const child = spawn(process.execPath, ['-e', WORKER_THEN_MAIN]);
  try {
    const readings = new Map<string, number>();
    for await (const line of createInterface({ input: child.stdout! })) {
      readings.set(line, mainThreadCpuSeconds(child.pid!)!);
      if (line === 'main done') break;
    }
    const whileWorkerSpun = readings.get('worker done')! - readings.get('started')!;
    const whileMainSpun = readings.get('main done')! - readings.get('worker done')!;
    // The main thread only starts the worker meanwhile; a figure of the whole process would read about 1 s.
    assert.ok(whileWorkerSpun < 0.5, `main thread while the worker spun: ${whileWorkerSpun} s`);
    // Its own second of spinning; the margin leaves room for a machine busy with other tests.
    assert.ok(whileMainSpun > 0.2, `main thread while it spun: ${whileMainSpun} s`);
  } finally {
    child.kill();
  }
});
