import { execFileSync } from 'node:child_process';

// PostgreSQL refuses to run as root: run as root (as CI does), the test servers run as Debian's
// `postgres` system user; otherwise as this process's own user.

export interface ServerOwner {
  uid: number;
  gid: number;
}

export function serverOwner(): ServerOwner {
  if (process.getuid?.() !== 0) return { uid: process.getuid!(), gid: process.getgid!() };
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
