import net from 'node:net';

// A TCP proxy in front of PostgreSQL that can cut a client's connection exactly where its next
// batch commits: either before the server sees the commit (the transaction rolls back) or after
// the server has committed but before the client hears so (the outcome is unknown to the client).
// A batch commits at the statement named here: the COMMIT behind its write (two round trips), or
// the one statement that locks, checks and writes (one round trip; applyBatch.ts). Both are named
// statements, so their names travel in every Bind message.

/** The two-round-trip path's COMMIT. */
const COMMIT_BATCH_NAME = Buffer.from('commit_batch\0');
/** The one-round-trip path's statement. */
const COMMIT_PLANNED_BATCH_NAME = Buffer.from('commit_planned_batch\0');
/** ReadyForQuery, idle: the server has ended the transaction, and it committed unless an error came first. */
const READY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

export type CutMode = 'before-commit' | 'after-commit';
/** Where the cut batch was to commit. */
export type CommitPoint = 'commit-statement' | 'one-statement';

export class CommitCuttingProxy {
  private server: net.Server | undefined;
  private armed: CutMode | undefined;
  cuts = 0;
  lastCut: CommitPoint | undefined;

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
      const point = commitPointIn(chunk);
      if (mode && point) {
        this.armed = undefined;
        this.cuts += 1;
        this.lastCut = point;
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
      // The server has ended the transaction: it is durable, and the client never heard.
      if (chunk.includes(READY_IDLE)) upstream.destroy();
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

function commitPointIn(chunk: Buffer): CommitPoint | undefined {
  if (chunk.includes(COMMIT_PLANNED_BATCH_NAME)) return 'one-statement';
  return chunk.includes(COMMIT_BATCH_NAME) ? 'commit-statement' : undefined;
}
