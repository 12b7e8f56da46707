// Proves that the console shows money with the currency's ISO 4217 minor-unit scale (1050 USD reads
// 10.50 USD, JPY has none, BHD three), exactly for amounts past 2^53 and negative ones, and shows
// a currency it does not know in minor units rather than guess its scale.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { CONSOLE_DIR } from '../../src/http/routes/console.js';

interface MoneyModule {
  formatMoney(minorUnits: string, currency: string): string;
  minorUnitExponent(currency: string): number | undefined;
}

// The browser's own module, as served: plain JavaScript, loaded as Node loads any ES module.
const money = (await import(pathToFileURL(path.join(CONSOLE_DIR, 'money.js')).href)) as MoneyModule;

test('amounts read in major units at the currency\'s scale', () => {
  const cases: Array<[string, string, string]> = [
    ['1050', 'USD', '10.50 USD'],
    ['5', 'USD', '0.05 USD'],
    ['0', 'EUR', '0.00 EUR'],
    ['100', 'EUR', '1.00 EUR'],
    ['1050', 'JPY', '1050 JPY'],
    ['1050', 'BHD', '1.050 BHD'],
    ['7', 'KWD', '0.007 KWD'],
    ['12345', 'CLF', '1.2345 CLF'],
    ['-1050', 'USD', '-10.50 USD'],
    ['123456789012345678901234567890', 'USD', '1234567890123456789012345678.90 USD'],
  ];
  for (const [minorUnits, currency, shown] of cases) assert.equal(money.formatMoney(minorUnits, currency), shown, `${minorUnits} ${currency}`);
});

test('a currency outside ISO 4217 is shown in minor units', () => {
  assert.equal(money.minorUnitExponent('POINTS'), undefined);
  assert.equal(money.formatMoney('1050', 'POINTS'), '1050 POINTS minor units');
  assert.equal(money.formatMoney('1050', 'XYZ'), '1050 XYZ minor units');
});
