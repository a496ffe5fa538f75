// Custom field values checked against their definitions, PSA-neutrally: the definition by name, and a value that fits its type or picklist, before any write.
import { PsaError } from './errors';
import type { PsaCustomFieldDefinition, PsaCustomFieldValue } from './types';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const LISTED = 20;

/** The definition named `name` (case-insensitive); an unknown name is refused with the names there are. */
export function customFieldNamed(definitions: readonly PsaCustomFieldDefinition[], name: string, psa: string): PsaCustomFieldDefinition {
	const wanted = String(name ?? '').trim().toLowerCase();
	const active = definitions.filter((definition) => !definition.inactive);
	const found = active.find((definition) => definition.name.toLowerCase() === wanted);
	if (found) return found;
	throw new PsaError('invalid-input', `${psa} has no ticket custom field named '${String(name)}'; its ticket custom fields are: ${listed(active.map((definition) => definition.name))}`, {
		field: `customFields.${String(name)}`,
		hint: 'Use the name exactly as the PSA shows it on the ticket screen',
	});
}

/**
 * The value as the definition's type holds it: text, a finite number, a boolean, an ISO date (YYYY-MM-DD) or date-time,
 * or one of the picklist's values (matched case-insensitively, returned as the PSA spells it). null clears the field.
 * Anything else is refused naming the field and what it accepts.
 */
export function customFieldValue(definition: PsaCustomFieldDefinition, value: unknown): PsaCustomFieldValue {
	if (value === null || value === undefined || value === '') return null;
	const refuse = (accepts: string): never => {
		throw new PsaError('invalid-input', `The custom field '${definition.name}' accepts ${accepts}; got ${shown(value)}`, {
			field: `customFields.${definition.name}`,
		});
	};
	switch (definition.type) {
		case 'picklist': {
			const options = definition.picklist ?? [];
			const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
			const match = typeof text === 'string' ? options.find((option) => option.value.toLowerCase() === text.trim().toLowerCase()) : undefined;
			return match ? match.value : refuse(`one of: ${listed(options.map((option) => option.value))}`);
		}
		case 'number': {
			const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
			return Number.isFinite(number) ? number : refuse('a number');
		}
		case 'boolean':
			if (typeof value === 'boolean') return value;
			if (value === 'true' || value === 'false') return value === 'true';
			return refuse('true or false');
		case 'date': {
			const text = typeof value === 'string' ? value.trim() : '';
			const day = ISO_DATE.test(text) ? text : ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)) ? new Date(text).toISOString().slice(0, 10) : '';
			return day && isCalendarDay(day) ? day : refuse('a date (YYYY-MM-DD)');
		}
		case 'datetime': {
			const text = typeof value === 'string' ? value.trim() : '';
			return ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)) ? new Date(text).toISOString() : refuse('an ISO 8601 date and time, e.g. 2025-01-31T09:00:00Z');
		}
		default: {
			const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value : undefined;
			if (text === undefined) return refuse('text');
			if (definition.maxLength !== undefined && text.length > definition.maxLength) return refuse(`text of at most ${definition.maxLength} characters`);
			return text;
		}
	}
}

function isCalendarDay(day: string): boolean {
	const [, year, month, date] = ISO_DATE.exec(day) ?? [];
	const parsed = new Date(Date.UTC(Number(year), Number(month) - 1, Number(date)));
	return parsed.getUTCFullYear() === Number(year) && parsed.getUTCMonth() === Number(month) - 1 && parsed.getUTCDate() === Number(date);
}

function listed(names: string[]): string {
	if (names.length === 0) return '(none)';
	const shownNames = names.slice(0, LISTED).map((name) => `'${name}'`);
	return names.length > LISTED ? `${shownNames.join(', ')} and ${names.length - LISTED} more` : shownNames.join(', ');
}

function shown(value: unknown): string {
	const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
	return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
