// The bank workload's operations: what each client asks for (transfers, deposits, withdrawals,
// holds with their captures and voids, reversals of earlier postings, multi-leg transactions that
// pay through a third wallet, and freezes, unfreezes and closes of wallets), how it is sent, and
// which answers are expected. Captures, voids and reversals name holds and transactions that an
// earlier operation created and a client was told of.

const AMOUNT_MAX = 5_000;
/** Acknowledged holds and postings remembered for later captures, voids and reversals (the newest). */
const REMEMBERED_MAX = 2_000;
/** Share of captures and voids that leave their hold for another client to target too (then one of them gets 409). */
const RETARGET_SHARE = 0.1;

export type OperationKind =
  | 'transfer' | 'deposit' | 'withdrawal' | 'hold' | 'capture' | 'void' | 'reversal' | 'multi_leg' | 'freeze' | 'unfreeze' | 'close';

/** PATCHes of a wallet's status: unconditional (If-Match: *), since a client cannot know the ETag in flight. */
const STATUS_OF: Partial<Record<OperationKind, string>> = { freeze: 'frozen', unfreeze: 'active', close: 'closed' };

/** The kinds that post a ledger transaction when acknowledged. */
export const POSTING_KINDS: ReadonlySet<OperationKind> = new Set(['transfer', 'deposit', 'withdrawal', 'capture', 'reversal', 'multi_leg']);

export interface Operation {
  key: string;
  kind: OperationKind;
  /** The wallet debited (or, for a hold, whose money it reserves); undefined when that is the settlement account. */
  source?: string;
  /** The wallet credited (or a hold's destination); undefined when that is the settlement account. */
  destination?: string;
  /** The amount moved (or held; for a capture without an amount, the whole hold). */
  amount: bigint;
  /** capture and void: the hold; reversal: the transaction reversed; freeze, unfreeze and close: the wallet. */
  target?: string;
  /** capture: whether the request names the amount (otherwise it captures the whole hold). */
  amountSent?: boolean;
  /** multi_leg: the wallet its first leg pays and its second leg pays from (its balance ends as it was). */
  via?: string;
}

/** The answers an operation may get when the ledger is correct (anything else fails the bank test). */
export function isExpectedAnswer(kind: OperationKind, status: number, code: string | undefined): boolean {
  // A frozen wallet refuses debits and a closed one everything, whatever the operation.
  if (status === 422 && (code === 'account_closed' || (code === 'account_frozen' && kind !== 'deposit'))) return kind !== 'capture' && kind !== 'void';
  switch (kind) {
    case 'deposit':
      return status === 201;
    case 'freeze':
    case 'unfreeze':
      return status === 200;
    case 'close':
      return status === 200 || (status === 422 && code === 'account_not_empty');
    case 'transfer':
    case 'withdrawal':
    case 'hold':
    case 'multi_leg':
      return status === 201 || (status === 422 && code === 'insufficient_funds');
    case 'capture':
      return status === 201 || (status === 409 && code === 'hold_not_pending');
    case 'void':
      return status === 200 || (status === 409 && code === 'hold_not_pending');
    case 'reversal':
      return status === 201 || (status === 422 && (code === 'insufficient_funds' || code === 'reversal_exceeds_original'));
  }
}

/** The status of an answer that applied the operation. */
export function appliedStatus(kind: OperationKind): number {
  return kind === 'void' || STATUS_OF[kind] !== undefined ? 200 : 201;
}

export function requestFor(operation: Operation): { path: string; body: Record<string, unknown>; method?: 'PATCH'; headers?: Record<string, string> } {
  const status = STATUS_OF[operation.kind];
  if (status !== undefined) return { method: 'PATCH', path: `/v1/accounts/${operation.target}`, body: { status }, headers: { 'if-match': '*' } };
  // The key in the metadata ties each ledger transaction (and hold) to the operation that asked for it.
  const metadata = { operation_key: operation.key };
  const amount = operation.amount.toString();
  switch (operation.kind) {
    case 'transfer':
      return {
        path: '/v1/transactions/transfer',
        body: { source_account_id: operation.source, destination_account_id: operation.destination, amount, metadata },
      };
    case 'deposit':
      return { path: '/v1/transactions/deposit', body: { account_id: operation.destination, amount, metadata } };
    case 'withdrawal':
      return { path: '/v1/transactions/withdraw', body: { account_id: operation.source, amount, metadata } };
    case 'hold':
      return { path: '/v1/holds', body: { source_account_id: operation.source, destination_account_id: operation.destination, amount, metadata } };
    case 'capture':
      return { path: `/v1/holds/${operation.target}/capture`, body: operation.amountSent ? { amount } : {} };
    case 'void':
      return { path: `/v1/holds/${operation.target}/void`, body: {} };
    case 'multi_leg':
      return {
        path: '/v1/transactions',
        body: {
          legs: [
            { source_account_id: operation.source, destination_account_id: operation.via, amount },
            { source_account_id: operation.via, destination_account_id: operation.destination, amount },
          ],
          metadata,
        },
      };
    default:
      return { path: `/v1/transactions/${operation.target}/reverse`, body: { amount, metadata } };
  }
}

/** A small seeded generator (mulberry32), so that a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface OperationMix {
  accounts: string[];
  random: () => number;
  keyPrefix: string;
  /** Probability that an operation involves accounts[0] (a hot account); otherwise accounts are uniform. */
  hotAccountShare?: number;
}

/** Something created earlier that a later operation may name. */
interface Remembered {
  id: string;
  source?: string;
  destination?: string;
  amount: bigint;
}

export interface OperationGenerator {
  next(): Operation;
  /** Learns of an answered operation: an acknowledged hold may be captured or voided, a posting reversed. */
  answered(operation: Operation, status: number, id: string | undefined): void;
}

export function operationGenerator(mix: OperationMix): OperationGenerator {
  let counter = 0;
  const holds: Remembered[] = [];
  const postings: Remembered[] = [];
  const pick = (exclude?: string): string => {
    for (;;) {
      const account = mix.accounts[Math.floor(mix.random() * mix.accounts.length)]!;
      if (account !== exclude) return account;
    }
  };
  const hot = () => (mix.hotAccountShare !== undefined && mix.random() < mix.hotAccountShare ? mix.accounts[0] : undefined);
  const below = (whole: bigint) => 1n + BigInt(Math.floor(mix.random() * Number(whole)));
  /** A remembered hold, most often taken out so that few clients target the same one. */
  const takeHold = (): Remembered => {
    const index = Math.floor(mix.random() * holds.length);
    return mix.random() < RETARGET_SHARE ? holds[index]! : holds.splice(index, 1)[0]!;
  };
  return {
    next(): Operation {
      counter += 1;
      const key = `${mix.keyPrefix}-${counter}`;
      const amount = BigInt(1 + Math.floor(mix.random() * AMOUNT_MAX));
      const roll = mix.random();
      if (roll < 0.1) return { key, kind: 'deposit', destination: hot() ?? pick(), amount };
      if (roll < 0.2) return { key, kind: 'withdrawal', source: hot() ?? pick(), amount };
      if (roll < 0.3) {
        const source = hot() ?? pick();
        return { key, kind: 'hold', source, destination: mix.random() < 0.5 ? pick(source) : undefined, amount };
      }
      if (roll < 0.38 && holds.length > 0) {
        const hold = takeHold();
        const amountSent = mix.random() < 0.5;
        return { key, kind: 'capture', source: hold.source, destination: hold.destination, amount: amountSent ? below(hold.amount) : hold.amount, target: hold.id, amountSent };
      }
      if (roll < 0.42 && holds.length > 0) {
        const hold = takeHold();
        return { key, kind: 'void', source: hold.source, destination: hold.destination, amount: hold.amount, target: hold.id };
      }
      if (roll < 0.48 && postings.length > 0) {
        const original = postings[Math.floor(mix.random() * postings.length)]!;
        return { key, kind: 'reversal', source: original.destination, destination: original.source, amount: below(original.amount), target: original.id };
      }
      if (roll < 0.54) {
        // Few closes, and as many unfreezes as freezes, so that most wallets stay open and active.
        const kind = roll < 0.5 ? 'close' : roll < 0.52 ? 'freeze' : 'unfreeze';
        return { key, kind, amount: 0n, target: hot() ?? pick() };
      }
      const source = hot() ?? pick();
      const destination = pick(source);
      if (roll < 0.6 && mix.accounts.length > 2) {
        let via = pick(source);
        while (via === destination) via = pick(source);
        return { key, kind: 'multi_leg', source, destination, via, amount };
      }
      return { key, kind: 'transfer', source, destination, amount };
    },
    answered(operation, status, id) {
      if (status !== 201 || id === undefined) return;
      const remembered = { id, source: operation.source, destination: operation.destination, amount: operation.amount };
      if (operation.kind === 'hold') remember(holds, remembered);
      // A multi-leg transaction is never reversed.
      else if (operation.kind !== 'reversal' && operation.kind !== 'multi_leg') remember(postings, remembered);
    },
  };
}

function remember(list: Remembered[], item: Remembered): void {
  list.push(item);
  if (list.length > REMEMBERED_MAX) list.shift();
}
