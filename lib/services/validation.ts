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
