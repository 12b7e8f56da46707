// A one-line progress display on stderr, redrawn in place on a terminal and printed every few
// seconds otherwise (CI logs), so the figures on stdout stay clean.

const PLAIN_EVERY_SECONDS = 5;

export class Progress {
  private readonly interactive = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly totalSeconds: number,
  ) {}

  update(second: number, perSecond: number, failed: number, unit = 'req/s'): void {
    const line = `  ${this.label.padEnd(34)} ${bar(second / this.totalSeconds)} ${String(second).padStart(3)}/${this.totalSeconds}s ` +
      `${perSecond.toLocaleString('en-US').padStart(8)} ${unit}${failed ? `  FAILED ${failed}` : ''}`;
    if (this.interactive) process.stderr.write(`\r${line}\x1b[K`);
    else if (second % PLAIN_EVERY_SECONDS === 0 || failed) process.stderr.write(`${line}\n`);
  }

  finish(summary: string): void {
    if (this.interactive) process.stderr.write('\r\x1b[K');
    process.stderr.write(`  ${this.label.padEnd(34)} ${summary}\n`);
  }
}

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

function bar(fraction: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
