import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// What a process and its descendants are and have cost, read from Linux's /proc (the tests that
// start npm scripts run on Linux, as CI and Railway do).

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** The live child processes of `pid`. */
export function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

/** The command line of `pid`, one argument per entry. */
export function commandLineOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((word) => word !== '');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU time (user and system) spent by `pid` and every live descendant, including the children
 * they have already reaped (a compiler that ran and exited before the server started counts).
 */
export function treeCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0; // It exited while being counted.
  }
  const fields = stat.replace(/^.*\) /s, '').split(' ').map(Number);
  // Fields 14-17 of proc(5): utime, stime, cutime, cstime; index 0 here is field 3.
  const ticks = fields[11]! + fields[12]! + fields[13]! + fields[14]!;
  const own = (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  const children = isAlive(pid) ? childrenOf(pid) : [];
  return children.reduce((total, child) => total + treeCpuMs(child), own);
}

/** `pid` and every live descendant of it. */
export function processTreeOf(pid: number): number[] {
  let children: number[] = [];
  try {
    children = childrenOf(pid);
  } catch {
    // It exited while being listed.
  }
  return [pid, ...children.flatMap(processTreeOf)];
}

/** SIGKILL, to a process that may already be gone. */
export function killNow(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
