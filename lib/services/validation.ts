// Input checks shared by the services: bad input fails before any request or write.
import { PsaError } from '../providers/errors';

export function requireText(value: unknown, what: string, maxLength = 1000): string {
	const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
	if (text === '') {
		throw new PsaError('invalid-input', `${what} is empty`, { hint: `Give a ${what.toLowerCase()}.` });
	}
	if (text.length > maxLength) {
		throw new PsaError('invalid-input', `${what} is longer than ${maxLength} characters`, {
			hint: `Shorten the ${what.toLowerCase()}.`,
		});
	}
	return text;
}

/** A text that names a record (source, external id, dedupe key): no control characters, which no PSA field stores as given. */
export function requireKeyText(value: unknown, what: string, maxLength = 1000): string {
	const text = requireText(value, what, maxLength);
	if (/[\u0000-\u001f\u007f]/.test(text)) {
		throw new PsaError('invalid-input', `${what} contains control characters (a line break, tab or NUL)`, {
			hint: `Remove the control characters from the ${what.toLowerCase()}, e.g. with {{ $json.id.trim() }} or .replace(/\\s+/g, ' ').`,
		});
	}
	return text;
}

export function requireId(value: unknown, what: string): number {
	const id = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
	if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
		throw new PsaError('invalid-input', `${what} must be a positive whole number, got ${JSON.stringify(value)}`, {
			hint: `Give the numeric ${what.toLowerCase()}.`,
		});
	}
	return id;
}

export function optionalId(value: unknown, what: string): number | undefined {
	if (value === undefined || value === null || value === '' || value === 0) return undefined;
	return requireId(value, what);
}
