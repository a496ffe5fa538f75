// Custom field values checked against their definitions, PSA-neutrally: the definition by name, and a value that fits its type or picklist, before any write.
import { PsaError } from './errors';
import type { PsaCustomFieldDefinition, PsaCustomFieldValue } from './types';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const LISTED = 20;

/** What each type accepts, as refusals say it (picklists list their values). */
const ACCEPTS: Partial<Record<PsaCustomFieldDefinition['type'], string>> = {
	number: 'a number',
	boolean: 'true or false',
	date: 'a date (YYYY-MM-DD)',
	datetime: 'an ISO 8601 date and time, e.g. 2025-01-31T09:00:00Z',
	text: 'text',
	picklist: 'one of its picklist values',
};

/** The definition named `name` (case-insensitive); an unknown name is refused with the names there are. */
export function customFieldNamed(definitions: readonly PsaCustomFieldDefinition[], name: string, psa: string): PsaCustomFieldDefinition {
	const wanted = String(name ?? '').trim().toLowerCase();
	const active = definitions.filter((definition) => !definition.inactive);
	const found = active.find((definition) => definition.name.toLowerCase() === wanted);
	if (found) return found;
	throw new PsaError('invalid-input', `${psa} has no ticket custom field named '${String(name)}'; its ticket custom fields are: ${listed(active.map((definition) => definition.name))}`, {
		field: `customFields.${String(name)}`,
		refused: true,
		hint: 'Use the name exactly as the PSA shows it on the ticket screen',
	});
}

/**
 * The value as the definition's type holds it: text, a finite number (within the definition's decimals), a boolean
 * (also true/false, yes/no, 1/0 as text), an ISO date (YYYY-MM-DD) or date-time (also epoch milliseconds or a Date),
 * or one of the picklist's values (by value, else by a label only one choice has; returned as the PSA spells the
 * value). Empty clears the field, unless it is required. Anything else is refused naming the field and what it accepts.
 */
export function customFieldValue(definition: PsaCustomFieldDefinition, value: unknown): PsaCustomFieldValue {
	// Refused before any request is sent: nothing was written (refused: true tells the services so).
	const refuse = (accepts: string): never => {
		throw new PsaError('invalid-input', `The custom field '${definition.name}' accepts ${accepts}; got ${shown(value)}`, {
			field: `customFields.${definition.name}`,
			hint: `Give ${accepts}.`,
			refused: true,
		});
	};
	if (value === null || value === undefined || value === '') return definition.required ? refuse('a value (it is required)') : null;
	if (typeof value === 'object' && !(value instanceof Date)) return refuse(ACCEPTS[definition.type] ?? 'text');
	switch (definition.type) {
		case 'picklist': {
			const options = definition.picklist ?? [];
			const text = String(value).trim().toLowerCase();
			const byLabel = options.filter((option) => option.label.toLowerCase() === text);
			const match = options.find((option) => option.value === String(value).trim()) ?? options.find((option) => option.value.toLowerCase() === text) ?? (byLabel.length === 1 ? byLabel[0] : undefined);
			return match ? match.value : refuse(`one of: ${listed(options.map((option) => (option.label && option.label !== option.value ? `${option.value} (${option.label})` : option.value)))}`);
		}
		case 'number': {
			const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
			if (!Number.isFinite(number)) return refuse('a number');
			if (definition.decimals !== undefined && definition.decimals >= 0) {
				const factor = 10 ** definition.decimals;
				if (Math.round(number * factor) / factor !== number) return refuse(`a number with at most ${definition.decimals} decimal(s)`);
			}
			return number;
		}
		case 'boolean': {
			if (typeof value === 'boolean') return value;
			const word = String(value).trim().toLowerCase();
			if (['true', 'yes', '1'].includes(word)) return true;
			if (['false', 'no', '0'].includes(word)) return false;
			return refuse('true or false');
		}
		case 'date': {
			const text = instantText(value);
			const day = ISO_DATE.test(text) ? text : ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)) ? new Date(text).toISOString().slice(0, 10) : '';
			return day && isCalendarDay(day) ? day : refuse('a date (YYYY-MM-DD)');
		}
		case 'datetime': {
			const text = instantText(value);
			return ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)) ? new Date(text).toISOString() : refuse('an ISO 8601 date and time, e.g. 2025-01-31T09:00:00Z');
		}
		default: {
			const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : undefined;
			if (text === undefined) return refuse('text');
			if (definition.maxLength !== undefined && text.length > definition.maxLength) return refuse(`text of at most ${definition.maxLength} characters`);
			return text;
		}
	}
}

/** Dates as expressions give them: ISO text, a Date, or epoch milliseconds (n8n's $now.toMillis()). */
function instantText(value: unknown): string {
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
	if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
	return typeof value === 'string' ? value.trim() : '';
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
