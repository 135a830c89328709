import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_METHODS, API_METHOD_NAMES } from '../../core/api/contract';
import { validateCall, UnknownMethodError } from '../../core/api/dispatch';
import { PayloadError, object, optional, nonEmptyString, positiveInteger } from '../../core/base/validate';
import { checkArgs } from '../../core/api/args';

test('every contract method has a summary and a validator per argument', () => {
  assert.ok(API_METHOD_NAMES.length >= 12);
  for (const name of API_METHOD_NAMES) {
    const spec = API_METHODS[name];
    assert.ok(spec.summary.length > 10, name);
    for (const [arg, v] of spec.args) assert.ok(arg && typeof v.check === 'function', `${name}.${arg}`);
  }
});

test('well-formed payloads pass and optional trailing arguments may be left out', () => {
  assert.deepEqual(validateCall('inspectModel', ['/m']).args, ['/m']);
  assert.deepEqual(validateCall('getHardware', []).args, [undefined]);
  assert.deepEqual(validateCall('getHardware', [true]).args, [true]);
  assert.deepEqual(validateCall('renameRun', [3, 'first slice']).args, [3, 'first slice']);
  assert.deepEqual(validateCall('listRuns', [{ status: 'done', limit: 5 }]).args, [{ status: 'done', limit: 5 }]);
  assert.deepEqual(validateCall('startJob', [{ kind: 'fingerprint', params: { path: '/m' } }]).args, [{ kind: 'fingerprint', params: { path: '/m' } }]);
});

test('malformed payloads are refused with one line naming the method and the argument', () => {
  const cases: [string, unknown, RegExp][] = [
    ['inspectModel', [], /^inspectModel: missing argument "path" \(a non-empty string\)$/],
    ['inspectModel', [42], /^inspectModel: "path" must be a non-empty string \(got 42\)$/],
    ['inspectModel', ['  '], /must be a non-empty string/],
    ['inspectModel', ['/a', '/b'], /^inspectModel takes 1 argument, got 2$/],
    ['renameRun', ['3', 'x'], /^renameRun: "id" must be a positive integer \(got "3"\)$/],
    ['renameRun', [3], /missing argument "name"/],
    ['getRun', [0], /"id" must be a positive integer/],
    ['getHardware', ['yes'], /"refresh" must be true or false/],
    ['listRuns', [{ status: 'finished' }], /"filter"\.status must be one of "queued" \| "running"/],
    ['listRuns', [{ stauts: 'done' }], /has an unknown field "stauts"/],
    ['listRuns', [[1]], /"filter" must be an object \(got an array\)/],
    ['startJob', [{ params: {} }], /"spec"\.kind/],
    ['startJob', [{ kind: 'x', params: 'p' }], /"spec"\.params must be an object \(got "p"\)/],
    ['cancelJob', [null], /missing argument "jobId"/],
  ];
  for (const [method, payload, message] of cases) {
    assert.throws(
      () => validateCall(method, payload),
      (e: Error) => {
        assert.ok(e instanceof PayloadError, `${method}: ${e.name}`);
        assert.match(e.message, message);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
  }
});

test('unknown methods, including inherited object keys, are refused', () => {
  assert.throws(() => validateCall('dropTables', []), UnknownMethodError);
  assert.throws(() => validateCall('constructor', []), /unknown API method "constructor"/);
  assert.throws(() => validateCall('__proto__', []), UnknownMethodError);
});

test('object validators keep only declared fields and drop null optionals', () => {
  const v = object({ a: nonEmptyString, b: optional(positiveInteger) });
  assert.deepEqual(v.check({ a: 'x', b: null }, 'p'), { a: 'x' });
  assert.deepEqual(checkArgs('m', [['o', v]] as const, { a: 'y', b: 2 }), [{ a: 'y', b: 2 }]);
});
