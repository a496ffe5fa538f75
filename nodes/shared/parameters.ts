// Reads text parameters as n8n hands them over: an expression may resolve to a number, undefined, null, an object or a list.
import { PsaError } from '../../lib/providers/errors';

/**
 * The parameter as trimmed text, or undefined when it is absent or empty. Numbers, booleans and bigints become
 * their text, so `{{ $json.alertId }}` yielding 90210 is the key "90210", not a silently missing key.
 */
export function optionalText(value: unknown, what: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	throw new PsaError('invalid-input', `${what} must be text, got ${Array.isArray(value) ? 'a list' : 'an object'}`, {
		hint: `Give ${what} as text, or pick one field of the object in the expression.`,
	});
}

/** What an expression resolved to, in words, when it is not usable as text. */
function describeUnusable(value: unknown): string | undefined {
	if (value === undefined) return 'is empty (its expression resolved to undefined: does every item have that field?)';
	if (value === null) return 'is empty (its expression resolved to null)';
	if (Array.isArray(value)) return 'is a list, not text';
	if (typeof value === 'object') return 'is an object, not text';
	if (typeof value === 'string' && value.trim() === '') return 'is empty';
	if (typeof value === 'number' && !Number.isFinite(value)) return `is ${String(value)}, not text`;
	return undefined;
}

/**
 * A text parameter that names a record (source, external ID, identity, dedupe key): refused, naming the parameter and
 * the item, when it is blank or its expression resolved to undefined, null, an object or a list, so that items missing
 * the field never collapse onto one record called "undefined". Numbers, booleans and bigints become their text.
 */
export function requiredText(value: unknown, what: string, itemIndex: number): string {
	const problem = describeUnusable(value);
	if (problem) {
		throw new PsaError('invalid-input', `${what} of item ${itemIndex} ${problem}`, {
			field: what,
			hint: `Give ${what} for every item: an expression that picks a text or number field the item has, e.g. {{ $json.id }}.`,
		});
	}
	return typeof value === 'string' ? value.trim() : String(value);
}

/**
 * An optional text parameter of a collection: undefined when the user did not add it; once added, it must resolve to
 * text (a dedupe key that resolved to nothing would silently turn deduplication off).
 */
export function addedText(fields: Record<string, unknown>, name: string, what: string, itemIndex: number): string | undefined {
	if (!Object.prototype.hasOwnProperty.call(fields, name)) return undefined;
	return requiredText(fields[name], what, itemIndex);
}
