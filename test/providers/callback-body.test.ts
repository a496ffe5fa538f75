// The bounds on unverified callback bodies: the flat pass over bytes (strings and escapes skipped), the size check, and re-serialising a parsed body.
import { bodyShapeProblem, checkCallbackBody, reserialisedBody } from '../../lib/providers/callback-body';
import { PsaError } from '../../lib/providers/errors';
import { canonicalHookBody } from '../../lib/providers/autotask/webhooks';

const LIMITS = { maxBytes: 1000, maxDepth: 3, maxMembers: 5 };
const shape = (text: string) => bodyShapeProblem(Buffer.from(text, 'utf8'), LIMITS);

it('counts nesting and values outside strings only, escapes and multi-byte text included', () => {
	expect(shape('{"a":{"b":[1]}}')).toBeUndefined();
	expect(shape('{"a":{"b":[[1]]}}')).toBe('too-deep');
	expect(shape('{"a":"[[[[{{{{,,,,,,"}')).toBeUndefined();
	expect(shape('{"a":"\\"[[[[[[","b":"é🙂\\\\"}')).toBeUndefined();
	expect(shape('[1,2,3,4,5,6]')).toBe('too-many-members');
	expect(shape('[1,2,3,4,5]')).toBeUndefined();
});

it('refuses by size with a 413-kind error and by shape with the caller\'s error, before any parsing', () => {
	const refused = (message: string) => new PsaError('authentication', message);
	let big: unknown;
	try {
		checkCallbackBody(Buffer.alloc(1001, 0x20), LIMITS, 'Test', refused);
	} catch (error) {
		big = error;
	}
	expect(big).toMatchObject({ kind: 'invalid-input', details: { status: 413 } });
	expect(() => checkCallbackBody(Buffer.from('[[[[1]]]]'), LIMITS, 'Test', refused)).toThrow(/deeper than 3/);
});

it('re-serialises a parsed body only within the bounds, without recursing on a deep one', () => {
	expect(reserialisedBody({ a: [1, { b: 'c' }] })).toBe('{"a":[1,{"b":"c"}]}');
	let deep: unknown = 1;
	for (let index = 0; index < 200_000; index++) deep = [deep];
	expect(reserialisedBody(deep)).toBeUndefined();
	expect(reserialisedBody(undefined)).toBe('{}');
});

it('the canonical Autotask form is built without recursion and escapes as .NET does', () => {
	expect(canonicalHookBody({ a: ['x&y', { 'k+': 'é' }], n: 2, t: true, z: null, e: [], o: {} })).toBe('{"a":["x\\u0026y",{"k\\u002B":"\\u00E9"}],"n":2,"t":true,"z":null,"e":[],"o":{}}');
	let deep: unknown = 'x';
	for (let index = 0; index < 100_000; index++) deep = [deep];
	expect(canonicalHookBody(deep)).toHaveLength(200_003);
});
