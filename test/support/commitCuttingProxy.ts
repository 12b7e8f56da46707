import net from 'node:net';

// A TCP proxy in front of PostgreSQL that can cut a client's connection exactly at its next
// COMMIT: either before the server sees it (the transaction rolls back) or after the server has
// committed but before the client hears so (the outcome is unknown to the client).

/** The simple-protocol Query message node-postgres sends for COMMIT: 'Q', int32 length 11, "COMMIT\0". */
const COMMIT_MESSAGE = Buffer.from([0x51, 0, 0, 0, 11, ...Buffer.from('COMMIT'), 0]);
/** The server's CommandComplete tag for it: 'C', int32 length 11, "COMMIT\0". */
const COMMIT_COMPLETE = Buffer.from([0x43, 0, 0, 0, 11, ...Buffer.from('COMMIT'), 0]);

export type CutMode = 'before-commit' | 'after-commit';

export class CommitCuttingProxy {
  private server: net.Server | undefined;
  private armed: CutMode | undefined;
  cuts = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Cuts the next COMMIT that passes through, in the given way. */
  arm(mode: CutMode): void {
    this.armed = mode;
  }

  async listen(): Promise<number> {
    this.server = net.createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    let swallowReplies = false;
    client.on('data', (chunk) => {
      const mode = this.armed;
      if (mode && chunk.includes(COMMIT_MESSAGE)) {
        this.armed = undefined;
        this.cuts += 1;
        if (mode === 'before-commit') {
          client.destroy();
          upstream.destroy();
          return;
        }
        swallowReplies = true;
        client.destroy();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!swallowReplies) return void client.write(chunk);
      // The server has answered the COMMIT: it is durable, and the client never heard.
      if (chunk.includes(COMMIT_COMPLETE)) upstream.destroy();
    });
    const end = () => {
      client.destroy();
      if (!swallowReplies) upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', () => !swallowReplies && upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
