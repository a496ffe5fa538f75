// Builds ConnectWise `conditions` expressions: every value is quoted and escaped, field names are validated, user text is never pasted in.
import { PsaError } from '../errors';

export type ConditionValue = string | number | boolean | Date | null;

const FIELD = /^[A-Za-z_][A-Za-z0-9_/]*$/;

function field(name: string): string {
	if (typeof name !== 'string' || !FIELD.test(name)) {
		throw new PsaError('invalid-input', `'${String(name)}' is not a valid ConnectWise field name for conditions`, { field: 'conditions' });
	}
	return name;
}

/** Renders one value as a conditions literal. */
export function literal(value: ConditionValue): string {
	if (value === null) return 'null';
	if (typeof value === 'string') {
		if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) {
			throw new PsaError('invalid-input', 'Text used in a ConnectWise search contains control characters', { field: 'conditions' });
		}
		return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
	}
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new PsaError('invalid-input', `${value} is not a finite number`, { field: 'conditions' });
		return String(value);
	}
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	if (value instanceof Date) {
		if (Number.isNaN(value.getTime())) throw new PsaError('invalid-input', 'Invalid date in a ConnectWise search', { field: 'conditions' });
		return `[${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}]`;
	}
	throw new PsaError('invalid-input', `Unsupported value type '${typeof value}' in a ConnectWise search`, { field: 'conditions' });
}

function compare(operator: string) {
	return (name: string, value: ConditionValue): string => `${field(name)}${operator}${literal(value)}`;
}

/** Parts must come from this builder; each is parenthesised so operator precedence cannot change their meaning. */
function join(operator: 'and' | 'or', parts: Array<string | undefined>): string {
	const present = parts.filter((part): part is string => typeof part === 'string' && part.length > 0);
	if (present.length === 0) throw new PsaError('invalid-input', `'${operator}' needs at least one condition`);
	if (present.length === 1) return present[0];
	return present.map((part) => `(${part})`).join(` ${operator} `);
}

export const cond = {
	eq: compare('='),
	ne: compare('!='),
	lt: compare('<'),
	gt: compare('>'),
	le: compare('<='),
	ge: compare('>='),
	/** `like` with ConnectWise's % wildcard; `pattern` is quoted like any value (its % stay wildcards). */
	like: (name: string, pattern: string): string => `${field(name)} like ${literal(String(pattern))}`,
	/** Substring match: ConnectWise's `contains` operator, so % and _ in the text are not wildcards. */
	contains: (name: string, text: string): string => `${field(name)} contains ${literal(String(text))}`,
	in: (name: string, values: Array<string | number>): string => {
		if (values.length === 0) throw new PsaError('invalid-input', `'in' needs at least one value for ${name}`);
		return `${field(name)} in (${values.map((value) => literal(value)).join(',')})`;
	},
	and: (...parts: Array<string | undefined>): string => join('and', parts),
	or: (...parts: Array<string | undefined>): string => join('or', parts),
};

/** Combines the present parts with `and`; undefined when none is present. */
export function allOf(...parts: Array<string | undefined>): string | undefined {
	const present = parts.filter((part): part is string => typeof part === 'string' && part.length > 0);
	return present.length ? cond.and(...present) : undefined;
}
