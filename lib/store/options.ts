// The PSA State Store credential's fields as specs, read into StoreOptions only once every field passed, and secrets kept out of the store's errors.
import { checkSettings, redactSecrets, type SettingSpec } from '../setting-checks';
import { StoreError } from './errors';
import type { StoreOptions } from './types';

type Engine = StoreOptions['engine'];

/** PostgreSQL identifiers (databases, roles, schemas) are at most 63 bytes (NAMEDATALEN - 1); longer ones are cut short by the server. */
const PG_IDENTIFIER_MAX = 63;

/** The credential's fields, each shown for some engines only (a hidden field's leftover value is not read). */
const STORE_SETTINGS: ReadonlyArray<SettingSpec & { engines?: readonly Engine[] }> = [
	{ name: 'engine', label: 'Engine', type: 'option', options: { sqlite: 'SQLite File', postgres: 'PostgreSQL' } },
	// PATH_MAX on Linux.
	{ name: 'filePath', label: 'File Path', maxLength: 4096, engines: ['sqlite'] },
	{
		name: 'host',
		label: 'Host',
		maxLength: 253,
		host: 'name',
		pattern: { regex: /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[?[0-9A-Fa-f:.%]+\]?|\/\S*)$/, expected: 'enter a host name, an IP address or a socket folder (e.g. db.example.com)' },
		engines: ['postgres'],
	},
	{ name: 'port', label: 'Port', type: 'integer', range: { min: 1, max: 65535 }, engines: ['postgres'] },
	{ name: 'database', label: 'Database', maxLength: PG_IDENTIFIER_MAX, engines: ['postgres'] },
	{ name: 'user', label: 'User', maxLength: PG_IDENTIFIER_MAX, engines: ['postgres'] },
	{ name: 'password', label: 'Password', maxLength: 1024, secret: true, sameValueAllowedIn: ['user', 'database'], engines: ['postgres'] },
	{ name: 'ssl', label: 'SSL', type: 'option', options: { off: 'Off', verify: 'On, Verify Certificate', noVerify: 'On, Do Not Verify Certificate' }, engines: ['postgres'] },
	{
		name: 'schema',
		label: 'Schema',
		maxLength: PG_IDENTIFIER_MAX,
		pattern: { regex: /^[A-Za-z_][A-Za-z0-9_]*$/, expected: 'use letters, digits and underscores, not starting with a digit (at most 63)' },
		engines: ['postgres'],
	},
	// A Fernet key is 44 characters; Previous Keys holds a list of them.
	{ name: 'encryptionKey', label: 'Encryption Key', maxLength: 256, secret: true },
	{ name: 'previousKeys', label: 'Previous Keys', maxLength: 16_384, secret: true },
];

function specsFor(engine: Engine): SettingSpec[] {
	return STORE_SETTINGS.filter((spec) => !spec.engines || spec.engines.includes(engine));
}

function engineOf(fields: Record<string, unknown>): Engine {
	return fields.engine === 'postgres' ? 'postgres' : 'sqlite';
}

/** Throws the first problem with the fields as a configuration StoreError naming the setting; nothing has been opened. */
export function checkStoreCredential(fields: Record<string, unknown>): void {
	const engineProblem = checkSettings('PSA State Store', fields, specsFor('sqlite').filter((spec) => spec.name === 'engine'));
	const problem = engineProblem ?? checkSettings('PSA State Store', fields, specsFor(engineOf(fields)));
	if (problem) throw new StoreError('configuration', problem.message, { hint: problem.hint });
}

/** Store options given in code, checked as the credential's fields would be (same labels, same limits). */
export function checkStoreOptions(options: StoreOptions): void {
	const keys = Array.isArray(options.keys) ? options.keys : [];
	const fields: Record<string, unknown> =
		options.engine === 'postgres'
			? { engine: 'postgres', host: options.host, port: options.port, database: options.database, user: options.user, password: options.password, schema: options.schema }
			: { engine: options.engine, filePath: options.filename };
	checkStoreCredential({ ...fields, encryptionKey: keys[0], previousKeys: keys.length > 1 ? keys.slice(1).join(',') : undefined });
}

function keysOf(fields: Record<string, unknown>): string[] {
	const current = typeof fields.encryptionKey === 'string' ? fields.encryptionKey.trim() : '';
	const previous =
		typeof fields.previousKeys === 'string'
			? fields.previousKeys
					.split(/[\s,]+/)
					.map((key) => key.trim())
					.filter(Boolean)
			: [];
	return current ? [current, ...previous] : previous;
}

/**
 * Store options from the PSA State Store credential's fields; undefined (no credential) means the embedded SQLite
 * default. A field of the wrong type is refused, never replaced by the default: the store would then write somewhere
 * the admin did not choose.
 */
export function storeOptionsFromCredential(fields: Record<string, unknown> | undefined): StoreOptions | undefined {
	if (!fields) return undefined;
	checkStoreCredential(fields);
	const keys = keysOf(fields);
	const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string).trim() : '');
	if (engineOf(fields) === 'postgres') {
		const ssl = fields.ssl === 'verify' ? true : fields.ssl === 'noVerify' ? { rejectUnauthorized: false } : false;
		return {
			engine: 'postgres',
			host: fields.host === undefined || fields.host === null ? 'localhost' : text('host'),
			port: typeof fields.port === 'number' ? fields.port : 5432,
			database: text('database'),
			user: text('user'),
			password: typeof fields.password === 'string' && fields.password !== '' ? fields.password : undefined,
			ssl,
			schema: text('schema') || undefined,
			keys,
		};
	}
	const filename = text('filePath') || undefined;
	return { engine: 'sqlite', ...(filename ? { filename } : {}), ...(keys.length > 0 ? { keys } : {}) };
}

/** The error with the options' password and keys taken out of its message: a driver may quote what it was given. */
export function withoutSecrets(error: unknown, options: StoreOptions): unknown {
	if (!(error instanceof Error)) return error;
	const secrets = [...(options.engine === 'postgres' && typeof options.password === 'string' ? [options.password] : []), ...(Array.isArray(options.keys) ? options.keys : [])].filter(
		(secret): secret is string => typeof secret === 'string' && secret !== '',
	);
	const message = redactSecrets(error.message, secrets);
	if (message !== error.message) error.message = message;
	return error;
}
