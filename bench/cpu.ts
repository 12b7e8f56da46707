import { readdirSync, readFileSync } from 'node:fs';

// CPU time of the processes taking part, from /proc (Linux only; elsewhere every figure is null),
// so that the report can say where the cycles went: service, PostgreSQL, load generator.
//
// A sample must not disturb what it measures. /proc files live in memory, so they are read
// synchronously (about 10 µs each), and a process's children come from the one file that lists
// them: read asynchronously, a scan of every /proc entry went through libuv's thread pool file by
// file, took 22-48 ms, and its burst every 250 ms raised the half-peak p99 from 14 to 25 ms.

const CLOCK_TICKS_PER_SECOND = 100;

/** Process groups: a name and how to find its pids at the moment of a sample. */
export type ProcessGroups = Record<string, () => Promise<number[]>>;

const SAMPLE_INTERVAL_MS = 250;

/**
 * Samples the CPU time of process groups while a measurement runs. A process's counter only grows,
 * so its last sample stands for it after it exits (at most one interval is lost): short-lived
 * processes such as pgbench and the load generator are counted too. A process first seen after
 * the start counts from 0; one alive at the start counts from its value then.
 */
export class CpuMeter {
  /** Per group and pid: CPU seconds at the zero point, and at the latest sample. */
  private readonly zero = new Map<string, Map<number, number>>();
  private readonly latest = new Map<string, Map<number, number>>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  private startedAtMs = 0;
  private machineAtStart = 0;

  private constructor(private readonly groups: ProcessGroups) {}

  static async start(groups: ProcessGroups): Promise<CpuMeter> {
    const meter = new CpuMeter(groups);
    await meter.sample(true);
    meter.startedAtMs = performance.now();
    meter.machineAtStart = await machineBusySeconds();
    meter.timer = setInterval(() => (meter.sampling = meter.sampling.then(() => meter.sample(false))), SAMPLE_INTERVAL_MS);
    return meter;
  }

  /** Adds a process started after the meter: it counts from 0. */
  addGroup(name: string, pid: number): void {
    this.groups[name] = async () => [pid];
  }

  /** Average CPU use per group since the start, in percent of one core (200 = two cores busy). */
  async stop(): Promise<Record<string, number>> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample(false);
    const wallSeconds = (performance.now() - this.startedAtMs) / 1000;
    const percent: Record<string, number> = {};
    for (const name of Object.keys(this.groups)) {
      const zero = this.zero.get(name)!;
      let seconds = 0;
      for (const [pid, value] of this.latest.get(name)!) seconds += value - (zero.get(pid) ?? 0);
      percent[name] = round1((100 * seconds) / wallSeconds);
    }
    percent.machine = round1((100 * ((await machineBusySeconds()) - this.machineAtStart)) / wallSeconds);
    // Everything else on the machine: the kernel's own work, and any other program running meanwhile.
    const ours = Object.keys(this.groups).reduce((sum, name) => sum + (percent[name] ?? 0), 0);
    percent.other = round1(Math.max(0, percent.machine - ours));
    return percent;
  }

  private async sample(isZeroPoint: boolean): Promise<void> {
    for (const [name, findPids] of Object.entries(this.groups)) {
      const zero = this.zero.get(name) ?? new Map<number, number>();
      const latest = this.latest.get(name) ?? new Map<number, number>();
      for (const pid of await findPids().catch(() => [])) {
        const seconds = await processCpuSeconds(pid);
        if (seconds === undefined) continue;
        if (isZeroPoint) zero.set(pid, seconds);
        latest.set(pid, seconds);
      }
      this.zero.set(name, zero);
      this.latest.set(name, latest);
    }
  }
}

async function processCpuSeconds(pid: number): Promise<number | undefined> {
  return cpuSecondsOf(statFields(`/proc/${pid}/stat`));
}

/**
 * CPU seconds (user + system) of a process's main thread alone: the thread whose id is the pid.
 * Node runs JavaScript there; worker threads and libuv's thread pool are other tasks of the process.
 */
export function mainThreadCpuSeconds(pid: number): number | undefined {
  return cpuSecondsOf(statFields(`/proc/${pid}/task/${pid}/stat`));
}

function cpuSecondsOf(fields: string[] | undefined): number | undefined {
  return fields && (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** A stat file from its state on (field 3): the command name before it may hold spaces and ')'. */
function statFields(statPath: string): string[] | undefined {
  const stat = readProcFile(statPath);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine since boot (every process, ours or not). */
async function machineBusySeconds(): Promise<number> {
  const stat = readProcFile('/proc/stat') ?? '';
  // user nice system idle iowait irq softirq steal: guest time is already inside user.
  const cpu = stat.split('\n')[0]?.split(/\s+/).slice(1, 9).map(Number) ?? [];
  const total = cpu.reduce((sum, value) => sum + (Number.isFinite(value) ? value : 0), 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return (total - idle) / CLOCK_TICKS_PER_SECOND;
}

/** A process and its children (PostgreSQL's postmaster and its backends). */
export async function processTree(rootPid: number): Promise<number[]> {
  // The postmaster is single-threaded: its main thread's children are all of them.
  const listed = readProcFile(`/proc/${rootPid}/task/${rootPid}/children`);
  const children = listed === undefined ? childrenByScan(rootPid) : listed.split(' ').filter(Boolean).map(Number);
  return [rootPid, ...children];
}

/** Where the kernel does not list children (no CONFIG_PROC_CHILDREN): every process's parent. */
function childrenByScan(rootPid: number): number[] {
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const parent = statFields(`/proc/${entry}/stat`)?.[1];
    return parent !== undefined && Number(parent) === rootPid;
  }).map(Number);
}

/** Peak resident set size (VmHWM) of a live process, in bytes; undefined where /proc has none. */
export async function peakRssBytes(pid: number): Promise<number | undefined> {
  const status = readProcFile(`/proc/${pid}/status`);
  const match = status?.match(/^VmHWM:\s+(\d+)\s+kB/m);
  return match ? Number(match[1]) * 1024 : undefined;
}

export async function threadCount(pid: number): Promise<number | undefined> {
  const status = readProcFile(`/proc/${pid}/status`);
  const match = status?.match(/^Threads:\s+(\d+)/m);
  return match ? Number(match[1]) : undefined;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
