import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { findInexactJson } from '../src/http/exactJson.js';

// What reading bodies exactly costs: Fastify's default JSON parser (what the service used before)
// against the service's parser (the same, then one pass over the source text for repeated keys
// and inexact numbers), on the bodies the service is sent. Prints the extra µs a request and that
// as a share of the service's CPU per write. Standalone: `tsx bench/jsonBody.ts`.

/** The service process's CPU per transfer, from the bench's /proc sampling (README, "Where the cycles go"). */
const SERVICE_CPU_PER_WRITE_US = 74;
/** The share of the service's CPU per write the exact reading may cost. */
const EXTRA_SHARE_MAX_PERCENT = 2;
const ROUNDS = 21;
const ITERATIONS_PER_ROUND = 20_000;
const INTEGER_TEXT_FIELDS: ReadonlySet<string> = new Set(['amount']);

const metadata4Kb = Object.fromEntries(Array.from({ length: 80 }, (_, index) => [`key_${index}`, index % 2 ? `value ${index} ${'x'.repeat(20)}` : index * 1.5]));

const BODIES: Record<string, string> = {
  'deposit, no metadata': JSON.stringify({ account_id: randomUUID(), amount: '1050', currency: 'USD' }),
  'transfer, small metadata': JSON.stringify({
    source_account_id: randomUUID(),
    destination_account_id: randomUUID(),
    amount: 1050,
    currency: 'USD',
    description: 'Order 81723 payout',
    metadata: { order_id: 'ord_81723', channel: 'web', attempt: 1, tags: ['payout', 'eu'] },
  }),
  'account, metadata': JSON.stringify({
    currency: 'USD',
    external_ref: `user-${randomUUID()}`,
    metadata: { name: 'Ada Lovelace', tier: 'gold', limits: { daily: 100000, monthly: 2500000 }, score: 0.93 },
  }),
  'account, 4 KB metadata (the most allowed)': JSON.stringify({ currency: 'USD', metadata: metadata4Kb }),
};

type Parse = (text: string) => unknown;

const fastify = Fastify();
const defaultParser = fastify.getDefaultJsonParser('error', 'error');

function parseWith(check: boolean): Parse {
  return (text) => {
    let parsed: unknown;
    defaultParser(undefined as never, text, (error, body) => {
      if (error) throw error;
      if (check && findInexactJson(text, body, INTEGER_TEXT_FIELDS).length > 0) throw new Error('refused');
      parsed = body;
    });
    return parsed;
  };
}

/** CPU µs per call over one round. CPU time, not wall time: on a shared machine the wall clock also counts other processes. */
function microsecondsPerCall(parse: Parse, text: string): number {
  const started = process.cpuUsage();
  for (let iteration = 0; iteration < ITERATIONS_PER_ROUND; iteration++) {
    if (parse(text) === undefined) throw new Error('a body parsed to nothing');
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / ITERATIONS_PER_ROUND;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const parsers: Record<string, Parse> = {
  'JSON.parse': (text) => JSON.parse(text),
  'Fastify default parser': parseWith(false),
  'exact parser (default + source pass)': parseWith(true),
};

/**
 * The parsers take turns round by round (after a warm-up round), and the extra cost is the median
 * of each round's difference, so that a busy moment of the machine weighs on both sides alike.
 */
function measure(text: string): { times: Record<string, number>; extraUs: number } {
  const perRound: Record<string, number[]> = Object.fromEntries(Object.keys(parsers).map((name) => [name, []]));
  const differences: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const times = Object.fromEntries(Object.entries(parsers).map(([name, parse]) => [name, microsecondsPerCall(parse, text)]));
    if (round === 0) continue;
    for (const [name, us] of Object.entries(times)) perRound[name]!.push(us);
    differences.push(times['exact parser (default + source pass)']! - times['Fastify default parser']!);
  }
  const times = Object.fromEntries(Object.entries(perRound).map(([name, values]) => [name, median(values)]));
  return { times, extraUs: median(differences) };
}

console.log(`Service CPU per write used: ${SERVICE_CPU_PER_WRITE_US} µs; target: extra cost under ${EXTRA_SHARE_MAX_PERCENT}% of it.\n`);
let worstTypicalShare = 0;
for (const [name, text] of Object.entries(BODIES)) {
  const { times, extraUs } = measure(text);
  const sharePercent = (extraUs / SERVICE_CPU_PER_WRITE_US) * 100;
  if (!name.includes('4 KB')) worstTypicalShare = Math.max(worstTypicalShare, sharePercent);
  console.log(`${name} (${Buffer.byteLength(text)} bytes)`);
  for (const [parser, us] of Object.entries(times)) console.log(`  ${parser.padEnd(38)} ${us.toFixed(2)} µs`);
  console.log(`  extra per request: ${extraUs.toFixed(2)} µs = ${sharePercent.toFixed(2)}% of the service's CPU per write\n`);
}
const verdict = worstTypicalShare < EXTRA_SHARE_MAX_PERCENT ? 'met' : 'NOT met';
console.log(`Typical bodies: at most ${worstTypicalShare.toFixed(2)}% extra; target under ${EXTRA_SHARE_MAX_PERCENT}%: ${verdict}.`);
