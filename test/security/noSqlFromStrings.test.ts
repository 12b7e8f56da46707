// Proves that no SQL text in src/ or partitions/ is built from values: a template literal or string
// concatenation that reads as SQL interpolates only the known constant fragments, each a literal,
// or an identifier quoted the PostgreSQL way for DDL, which takes no parameters.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../src/paths.js';

const SCANNED_FOLDERS = ['src', 'partitions'];
/** Constant SQL fragments that may be interpolated: column lists and the migrations table's name. */
const CONSTANT_FRAGMENTS = new Set(['ACCOUNT_COLUMNS', 'CLAIMED_COLUMNS', 'ENTRY_COLUMNS', 'HOLD_COLUMNS', 'MIGRATIONS_TABLE']);
/** Text that reads as a SQL statement (the code writes SQL keywords in capitals). */
const SQL_TEXT = /\b(SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|UPDATE\s+\S+\s+(AS\s+\S+\s+)?SET|DELETE\s+FROM|TRUNCATE|CREATE\s+(TABLE|ROLE|DATABASE|INDEX)|DROP\s+(TABLE|ROLE|DATABASE)|ALTER\s+(TABLE|ROLE)|GRANT|LISTEN|NOTIFY|SET\s+(LOCAL\s+)?ROLE)\b/;

interface Finding {
  where: string;
  fragment: string;
}

async function sourceFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(full);
  }
  return found;
}

function isConstantFragment(expression: ts.Expression): boolean {
  return ts.isIdentifier(expression) && CONSTANT_FRAGMENTS.has(expression.text);
}

/** `"${name.replace(/"/g, '""')}"`: an identifier in double quotes with its own quotes doubled. */
function isQuotedIdentifier(before: string, span: ts.TemplateSpan, file: ts.SourceFile): boolean {
  const quoted = /^[A-Za-z_][\w.]*\.replace\(\/"\/g, '""'\)$/.test(span.expression.getText(file));
  return quoted && before.endsWith('"') && span.literal.text.startsWith('"');
}

/** SQL-looking strings that take a value other than a known constant fragment, and the constants' declarations. */
function scan(fileName: string, text: string): { findings: Finding[]; constants: Map<string, boolean> } {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const findings: Finding[] = [];
  const constants = new Map<string, boolean>();
  const where = (node: ts.Node) => `${path.relative(PROJECT_ROOT, fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isTemplateExpression(node)) {
      const literalText = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ');
      if (SQL_TEXT.test(literalText)) {
        node.templateSpans.forEach((span, index) => {
          const before = index === 0 ? node.head.text : node.templateSpans[index - 1]!.literal.text;
          if (isConstantFragment(span.expression) || isQuotedIdentifier(before, span, file)) return;
          findings.push({ where: where(span), fragment: `\${${span.expression.getText(file)}}` });
        });
      }
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const sides = [node.left, node.right].filter(ts.isStringLiteralLike);
      if (sides.some((side) => SQL_TEXT.test(side.text))) findings.push({ where: where(node), fragment: node.getText(file).slice(0, 80) });
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && CONSTANT_FRAGMENTS.has(node.name.text)) {
      const isConst = (node.parent.flags & ts.NodeFlags.Const) !== 0;
      const literal = node.initializer !== undefined && ts.isStringLiteralLike(node.initializer);
      constants.set(node.name.text, isConst && literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { findings, constants };
}

test('SQL text in src/ and partitions/ interpolates only constant fragments', async () => {
  const findings: Finding[] = [];
  const constants = new Map<string, boolean>();
  let sqlFiles = 0;
  for (const folder of SCANNED_FOLDERS) {
    for (const file of await sourceFiles(path.join(PROJECT_ROOT, folder))) {
      const text = await readFile(file, 'utf8');
      if (SQL_TEXT.test(text)) sqlFiles += 1;
      const result = scan(file, text);
      findings.push(...result.findings);
      for (const [name, ok] of result.constants) constants.set(name, ok);
    }
  }
  assert.ok(sqlFiles >= 20, `only ${sqlFiles} files hold SQL: is the scan looking in the right place?`);
  assert.deepEqual(findings, [], 'SQL built from values; pass them as $n parameters instead');
  for (const name of CONSTANT_FRAGMENTS) {
    assert.equal(constants.get(name), true, `${name} must be declared once as a const string literal without interpolation`);
  }
});

test('the scan catches interpolated and concatenated SQL, and passes parameters and constants', () => {
  const source = [
    'const id = request.params.id;',
    'const ACCOUNT_COLUMNS = `id, balance`;',
    'db.query(`SELECT * FROM accounts WHERE id = \'${id}\'`);',
    "db.query('DELETE FROM accounts WHERE id = ' + id);",
    'db.query(`UPDATE accounts SET balance = ${amount} WHERE id = $1`, [id]);',
    'db.query(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1`, [id]);',
    'const message = `Account ${id} does not exist`;',
    'db.query(`CREATE DATABASE "${name.replace(/"/g, \'""\')}"`);',
    'db.query(`CREATE DATABASE ${name.replace(/"/g, \'""\')}`);',
  ].join('\n');
  const { findings, constants } = scan(path.join(PROJECT_ROOT, 'example.ts'), source);
  assert.deepEqual(findings.map((finding) => finding.where), ['example.ts:3', 'example.ts:4', 'example.ts:5', 'example.ts:9']);
  assert.equal(constants.get('ACCOUNT_COLUMNS'), true);
});
