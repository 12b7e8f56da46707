import pg from 'pg';

// Runs statements as one implicit transaction of PostgreSQL's extended query protocol: each
// statement's Bind and Execute back to back, then a single Sync, at which the server commits (or,
// on a connection with a transaction open, statements that end in COMMIT, which commits). The
// server flushes its answers at a Sync, so the whole transaction comes back in one write instead of
// one per statement: each answer wakes the service's thread, and on a busy machine the woken thread
// takes the core from the backend that is still working on the rest of the transaction. After a
// failed statement the server skips everything up to the Sync and rolls the transaction back.
// pg runs it as one query (a Query subclass: pg's pipeline mode refuses other custom queries).

export interface PreparedStatement {
  /** Parsed once per connection under this name. */
  name: string;
  text: string;
  values: unknown[];
}

/** pg's conversion of a parameter to its wire text (dates, arrays, bigints), as its own queries use it. */
const prepareValue = (pg as unknown as { utils: { prepareValue: (value: unknown) => unknown } }).utils.prepareValue;

/** The part of pg's Connection that writes protocol messages (pg's own types lag behind it). */
interface ProtocolConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { statement: string; values: unknown[] }): void;
  execute(message: { portal: string }): void;
  sync(): void;
}

/**
 * Resolves once the server committed every statement: no error, and the connection idle after the
 * Sync. Rejects with the server's error when one failed (nothing was committed), or with the
 * connection's error when it was lost on the way (the outcome is then unknown). A rejection that
 * `mustDiscardConnection` flags leaves the connection unsure of which statements it has parsed:
 * release it with an error.
 */
export function runAsOneTransaction(client: pg.PoolClient, statements: readonly PreparedStatement[]): Promise<void> {
  return new Promise((resolve, reject) => {
    void client.query(new OneSyncTransaction(statements, () => client.getTransactionStatus(), resolve, reject));
  });
}

const parsesUnsure = new WeakSet<object>();

export function mustDiscardConnection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && parsesUnsure.has(error);
}

class OneSyncTransaction extends pg.Query {
  /** Statements this transaction parses on its connection, recorded as parsed when they are sent. */
  private readonly parsedHere: string[] = [];

  constructor(
    private readonly statements: readonly PreparedStatement[],
    /** The connection's transaction status, as the server's answer to the Sync left it. */
    private readonly transactionStatus: () => string | null,
    private readonly onCommitted: () => void,
    private readonly onFailed: (error: unknown) => void,
  ) {
    super('');
  }

  override submit = (connection: pg.Connection): Error | null => {
    const protocol = connection as unknown as ProtocolConnection;
    // Converted before anything is written: a value that fails to convert must not leave half a
    // transaction on the wire, where the connection's next query would join it.
    let values: unknown[][];
    try {
      values = this.statements.map((statement) => statement.values.map(prepareValue));
    } catch (error) {
      return error as Error;
    }
    protocol.stream.cork?.();
    try {
      this.statements.forEach((statement, index) => {
        if (protocol.parsedStatements[statement.name] === undefined) {
          protocol.parse({ text: statement.text, name: statement.name, types: [] });
          protocol.parsedStatements[statement.name] = statement.text;
          this.parsedHere.push(statement.name);
        }
        protocol.bind({ statement: statement.name, values: values[index]! });
        protocol.execute({ portal: '' });
      });
      protocol.sync();
    } finally {
      protocol.stream.uncork?.();
    }
    return null;
  };

  // Rows and command tags are not needed: success is the Sync's answer without an error before it.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}

  handleError(error: unknown): void {
    // Which of this transaction's Parse messages the server ran before the failure is unknown.
    if (this.parsedHere.length > 0 && typeof error === 'object' && error !== null) parsesUnsure.add(error);
    this.onFailed(error);
  }

  handleReadyForQuery(): void {
    // Idle: the Sync ended the transaction. A connection already inside a transaction block would
    // have taken the statements into it, uncommitted: a bug upstream, and the caller must discard it.
    const status = this.transactionStatus();
    if (status === 'I') return this.onCommitted();
    this.onFailed(new Error(`the connection was inside a transaction block (status ${status}): the statements were not committed`));
  }
}
