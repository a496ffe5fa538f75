// Credential settings checked against a small declarative spec before anything connects: type, length, control characters, connection URLs, secrets out of place.

/** How one credential field is checked; `label` is the name the credential dialog shows. */
export interface SettingSpec {
	name: string;
	label: string;
	/** 'text' (the default): a string; 'integer': a whole number in `range`; 'option': one of `options`. */
	type?: 'text' | 'integer' | 'option';
	/** Counted in UTF-16 code units, as the dialog counts them. */
	maxLength?: number;
	/** Never echoed, and no other field may hold its value. */
	secret?: boolean;
	/** Fields that may legitimately hold the same value as this secret (PostgreSQL's user "postgres" with password "postgres"). */
	sameValueAllowedIn?: string[];
	/** A host or URL field: a pasted connection URL with a user name or password is refused, and the host part is length-checked. */
	host?: 'name' | 'url';
	/** Text must match; `expected` says in words what is allowed. */
	pattern?: { regex: RegExp; expected: string };
	range?: { min: number; max: number };
	/** option values -> the labels the dialog shows. */
	options?: Record<string, string>;
	/** Multiple lines allowed (none of the current fields): otherwise any control character is refused. */
	multiline?: boolean;
}

/** A refused setting: the message names it by its label and never holds a secret. */
export interface SettingProblem {
	field: string;
	message: string;
	hint: string;
}

/** A secret shorter than this is not looked for in other fields: too likely to turn up by chance (a port, "admin"). */
const MIN_SECRET_LENGTH = 8;
/** RFC 1035: a host name is at most 253 characters, each label at most 63. */
const MAX_HOST_NAME = 253;
const MAX_HOST_LABEL = 63;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** "a list", "an object"...: what an expression returned instead of the expected value. */
function kindOf(value: unknown): string {
	if (Array.isArray(value)) return 'a list';
	if (value === null) return 'null';
	if (typeof value === 'number') return 'a number';
	if (typeof value === 'boolean') return 'true/false';
	if (typeof value === 'string') return 'text';
	return `an ${typeof value === 'object' ? 'object' : typeof value}`;
}

/** Redacts a user name and password between "//" and "@" (and a bare "user:password@" prefix) before a value is echoed. */
function stripUserinfo(value: string): string {
	return value.replace(/\/\/[^/?#]*@/g, '//…@').replace(/^[^/:@\s]+:[^/@\s]*@/, '…@');
}

/** Replaces every occurrence of the secrets in a text meant for a message or log. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
	let result = text;
	// Longest first: a secret that is part of another must not leave the rest of the longer one readable.
	for (const secret of [...secrets].sort((a, b) => b.length - a.length)) if (secret.length >= MIN_SECRET_LENGTH || (secret.length > 0 && result === secret)) result = result.split(secret).join('[hidden]');
	return result;
}

/** The host part of what a host or URL field holds ("https://a.example:443/x" -> "a.example"). */
function hostPart(value: string): string {
	const rest = value.trim().replace(SCHEME, '');
	const authority = rest.split(/[/?#\\]/, 1)[0];
	const atEnd = authority.lastIndexOf('@');
	const hostPort = atEnd >= 0 ? authority.slice(atEnd + 1) : authority;
	return hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.split(':', 1)[0];
}

function looksLikeConnectionUrl(value: string, host: 'name' | 'url'): boolean {
	const trimmed = value.trim();
	const authority = trimmed.replace(SCHEME, '').split(/[/?#\\]/, 1)[0];
	if (authority.includes('@')) return true;
	// A bare host field takes no scheme at all: "postgres://db.example" is a connection string, not a host.
	return host === 'name' && SCHEME.test(trimmed);
}

/**
 * The first problem with the credential's fields, or undefined. `owner` names the credential ("ConnectWise",
 * "PSA State Store"). Empty optional values pass: whether a field is required stays with the code that reads it.
 */
export function checkSettings(owner: string, fields: Record<string, unknown>, specs: readonly SettingSpec[]): SettingProblem | undefined {
	for (const spec of specs) {
		const problem = checkOne(owner, spec, fields[spec.name]);
		if (problem) return problem;
	}
	// Before the pattern checks, the only ones that echo a value: a field holding a secret is never echoed.
	const misplaced = secretOutOfPlace(owner, fields, specs);
	if (misplaced) return misplaced;
	for (const spec of specs) {
		const problem = checkPattern(owner, spec, fields[spec.name]);
		if (problem) return problem;
	}
	return undefined;
}

function checkOne(owner: string, spec: SettingSpec, value: unknown): SettingProblem | undefined {
	const setting = `The ${owner} credential's ${spec.label}`;
	const refuse = (message: string, hint: string): SettingProblem => ({ field: spec.name, message: `${setting} ${message}`, hint });
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
	const type = spec.type ?? 'text';
	if (type === 'integer') {
		const range = spec.range ?? { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
		if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
			return refuse(`must be a whole number between ${range.min} and ${range.max}${typeof value === 'number' ? '' : `, not ${kindOf(value)}`}`, `Set ${spec.label} to a number between ${range.min} and ${range.max}`);
		}
		return undefined;
	}
	if (type === 'option') {
		const options = spec.options ?? {};
		if (typeof value !== 'string' || !Object.hasOwn(options, value)) {
			const names = Object.values(options).join(', ');
			return refuse(`must be one of: ${names}${typeof value === 'string' ? '' : `, not ${kindOf(value)}`}`, `Pick ${spec.label} from the list in the credential (${names})`);
		}
		return undefined;
	}
	if (typeof value !== 'string') {
		return refuse(`must be text, not ${kindOf(value)}`, `Type ${spec.label} into the credential; an expression there must return text, and nothing else is replaced by a default`);
	}
	if (spec.maxLength !== undefined && value.length > spec.maxLength) {
		return refuse(`is longer than ${spec.maxLength} characters (it has ${value.length})`, `Check ${spec.label}: at most ${spec.maxLength} characters`);
	}
	if (!spec.multiline && CONTROL.test(value)) {
		return refuse('contains a line break or another control character', `Paste the ${spec.label} into the credential again, as one line`);
	}
	if (spec.host && looksLikeConnectionUrl(value, spec.host)) {
		return refuse(
			'looks like a connection URL; put the host name only',
			spec.host === 'name'
				? `Enter only the server's name or address in ${spec.label} (e.g. db.example.com); the user name, password, port and database have fields of their own`
				: `Enter ${spec.label} without a user name or password (nothing between "//" and "@")`,
		);
	}
	if (spec.host) {
		const host = hostPart(value);
		if (host.length > MAX_HOST_NAME || (!host.startsWith('[') && host.split('.').some((label) => label.length > MAX_HOST_LABEL))) {
			return refuse(
				`holds a host name longer than DNS allows (${MAX_HOST_NAME} characters, ${MAX_HOST_LABEL} between dots)`,
				`Check ${spec.label}: enter the server's host name`,
			);
		}
	}
	return undefined;
}

/** Runs on text that passed checkOne; echoes a non-secret value, stripped of any user name and password. */
function checkPattern(owner: string, spec: SettingSpec, value: unknown): SettingProblem | undefined {
	if (!spec.pattern || typeof value !== 'string' || value.trim() === '' || spec.pattern.regex.test(value.trim())) return undefined;
	const shown = spec.secret ? 'value' : JSON.stringify(stripUserinfo(value.trim()));
	return {
		field: spec.name,
		message: `The ${owner} credential's ${spec.label} ${shown} is not allowed: ${spec.pattern.expected}`,
		hint: `Check ${spec.label} in the credential`,
	};
}

/** A secret typed (or pasted) into another field would be echoed or sent where a secret never goes: refused without saying it. */
function secretOutOfPlace(owner: string, fields: Record<string, unknown>, specs: readonly SettingSpec[]): SettingProblem | undefined {
	for (const secretSpec of specs) {
		const secret = fields[secretSpec.name];
		if (!secretSpec.secret || typeof secret !== 'string') continue;
		// Previous Keys holds several secrets in one field: each is looked for on its own.
		const needles = [secret.trim(), ...secret.split(/[\s,]+/)].filter((part) => part.length >= MIN_SECRET_LENGTH);
		for (const spec of specs) {
			const value = fields[spec.name];
			// An option's values come from a fixed list: "postgres" as Engine is no password typed there.
			if (spec.secret || (spec.type ?? 'text') !== 'text' || typeof value !== 'string' || secretSpec.sameValueAllowedIn?.includes(spec.name)) continue;
			if (needles.some((needle) => value.includes(needle))) {
				return {
					field: spec.name,
					message: `The ${owner} credential's ${spec.label} holds the value of ${secretSpec.label}, a secret; put each value in its own field`,
					hint: `Check ${spec.label} and ${secretSpec.label} in the credential`,
				};
			}
		}
	}
	return undefined;
}
