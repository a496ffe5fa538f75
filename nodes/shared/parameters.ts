// Reads optional text parameters whose value an expression may have turned into a number (n8n does not coerce expression results).
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
