// Every number and choice flag of the CLI is read by args.ts numberValue/choiceValue (intFlag, numberFlag, --ep,
// the runs filters and the job commands' flags alike), so a value is accepted and refused the same way everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choiceValue, intFlag, numberValue, parseArgs, UsageError } from '../../core/transports/cli/args';

const refused = (f: () => unknown, message: string) => assert.throws(f, (e: unknown) => e instanceof UsageError && e.message === message);

test('numberValue takes numbers in range, whole ones where an integer is asked, and names the range when both bounds are set', () => {
  assert.equal(numberValue('ratio', '0.25', { integer: false, min: 0, max: 0.99 }), 0.25);
  assert.equal(numberValue('seed', '7', { integer: true, min: 0 }), 7);
  refused(() => numberValue('ratio', '1.5', { integer: false, min: 0, max: 0.99 }), '--ratio must be a number from 0 to 0.99');
  refused(() => numberValue('limit', '2.5', { integer: true, min: 1, max: 10 }), '--limit must be an integer from 1 to 10');
  refused(() => numberValue('seed', '-1', { integer: true, min: 0 }), '--seed must be an integer');
  for (const bad of ['abc', ' ', 'Infinity', 'NaN']) refused(() => numberValue('x', bad, { integer: false }), '--x must be a number');
  refused(() => numberValue('x', true, { integer: true, min: 0, max: 1 }), '--x must be an integer from 0 to 1');
});

test('intFlag reads through numberValue; choiceValue names the choices', () => {
  assert.equal(intFlag(parseArgs(['--port', '8080'], { values: ['port'] }), 'port', 0, 65535), 8080);
  assert.equal(intFlag(parseArgs([], { values: ['port'] }), 'port', 0, 65535), undefined);
  refused(() => intFlag(parseArgs(['--port', '70000'], { values: ['port'] }), 'port', 0, 65535), '--port must be an integer from 0 to 65535');
  assert.equal(choiceValue('ep', 'cpu', ['cpu', 'cuda']), 'cpu');
  refused(() => choiceValue('ep', 'tpu', ['cpu', 'cuda']), '--ep must be one of cpu, cuda');
});
