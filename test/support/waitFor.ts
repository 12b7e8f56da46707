/** Polls `probe` every `pollMs` until it gives a value (true, or anything but false and undefined); throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | false | undefined | Promise<T | false | undefined>, timeoutMs: number, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
