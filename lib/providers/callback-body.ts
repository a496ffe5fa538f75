// Bounds on an unverified callback body (bytes, nesting, members), checked in one flat pass before anything parses or walks it.
import { PsaError } from './errors';
import type { PsaCallbackRequest } from './types';

export interface CallbackBodyLimits {
	/** Largest body accepted, in bytes. */
	maxBytes: number;
	/** Deepest nesting of objects and arrays accepted (1: a flat object). */
	maxDepth: number;
	/** Most object members and array elements accepted, over the whole body. */
	maxMembers: number;
}

/** Why a body was refused: too large (the trigger answers 413) or of a shape no PSA sends (401: it cannot be verified). */
export type CallbackBodyProblem = 'too-large' | 'too-deep' | 'too-many-members';

/** The request's bytes as one Buffer, without copying a Buffer. */
export function rawBytesOf(request: PsaCallbackRequest): Buffer {
	return Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.from(String(request.rawBody ?? ''), 'utf8');
}

/** Cheap enough to run on every request: a length compare. */
export function checkBodySize(raw: Buffer, limits: CallbackBodyLimits, psa: string): void {
	if (raw.length > limits.maxBytes) {
		throw new PsaError('invalid-input', `The ${psa} callback body is ${raw.length} bytes; more than ${limits.maxBytes} is never sent by ${psa}`, {
			status: 413,
			hint: 'Only callbacks from the PSA are accepted',
		});
	}
}

/**
 * The first limit the body's shape breaks, or undefined. One pass over the bytes with a counter, no recursion and no
 * allocation per value, so a hostile body costs at most its (already bounded) length; whether it is valid JSON is left
 * to JSON.parse, which only then sees it.
 */
export function bodyShapeProblem(raw: Buffer, limits: CallbackBodyLimits): CallbackBodyProblem | undefined {
	let depth = 0;
	let members = 0;
	let inString = false;
	for (let index = 0; index < raw.length; index++) {
		const byte = raw[index];
		if (inString) {
			// A backslash escapes the next byte ('"' or '\\'); multi-byte UTF-8 units never contain '"' or '\\'.
			if (byte === 0x5c) index++;
			else if (byte === 0x22) inString = false;
			continue;
		}
		switch (byte) {
			case 0x22:
				inString = true;
				break;
			case 0x7b: // {
			case 0x5b: // [
				if (++depth > limits.maxDepth) return 'too-deep';
				// The container's first member, if any, is counted here; commas count the others.
				if (++members > limits.maxMembers) return 'too-many-members';
				break;
			case 0x7d: // }
			case 0x5d: // ]
				depth--;
				break;
			case 0x2c: // ,
				if (++members > limits.maxMembers) return 'too-many-members';
				break;
		}
	}
	return undefined;
}

/** Size, then shape: a body over any limit is refused before it is parsed. */
export function checkCallbackBody(raw: Buffer, limits: CallbackBodyLimits, psa: string, refused: (message: string) => PsaError): void {
	checkBodySize(raw, limits, psa);
	const problem = bodyShapeProblem(raw, limits);
	if (problem === 'too-deep') throw refused(`The callback body nests deeper than ${limits.maxDepth} levels; ${psa} never does`);
	if (problem === 'too-many-members') throw refused(`The callback body holds more than ${limits.maxMembers} values; ${psa} never sends that many`);
}

/** Wider than any PSA's limits: a parsed body beyond them is not re-serialised at all. */
const PARSED_BODY_LIMITS = { maxDepth: 32, maxMembers: 100_000 };

/**
 * A body the web server already parsed, serialised again when the bytes as received are missing, or undefined when it
 * nests deeper or holds more than any callback (JSON.stringify recurses, and the body is not verified yet). Measured
 * with an explicit stack.
 */
export function reserialisedBody(value: unknown): string | undefined {
	const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
	let members = 0;
	while (stack.length > 0) {
		const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
		if (typeof current !== 'object' || current === null) continue;
		if (depth + 1 > PARSED_BODY_LIMITS.maxDepth) return undefined;
		const children = Array.isArray(current) ? current : Object.values(current);
		members += children.length;
		if (members > PARSED_BODY_LIMITS.maxMembers) return undefined;
		for (const child of children) stack.push({ value: child, depth: depth + 1 });
	}
	return JSON.stringify(value ?? {});
}
