// The bad-input table: one row per input, across the six nodes and both credentials, with the exact answer each must give.
import type { NodeSpec } from '../engine/setup';

export type Cls =
	| 'ids'
	| 'sources'
	| 'dedupe keys'
	| 'emails'
	| 'site URLs'
	| 'API versions'
	| 'store paths'
	| 'store keys'
	| 'postgres'
	| 'conditions injection'
	| 'oversize'
	| 'unicode'
	| 'control characters'
	| 'expressions'
	| 'damaged rows'
	| 'callbacks'
	| 'credential settings';

export interface Row {
	title: string;
	cls: Cls;
	node: Omit<NodeSpec, 'continueOnFail'>;
	/** The exact message (string) or, where it embeds a per-run value (a temp path, a row hash), a pattern. */
	message: string | RegExp | null;
	/** The description / hint: says what to do. */
	hint: RegExp;
	/** True (default) when the input is refused before any request: the sandbox log must stay empty. */
	noRequest?: boolean;
	/** For an input that is valid but hostile (an injection, an unknown id): no error, and the first output item matches this. */
	answer?: Record<string, unknown>;
}

export const LINK = { operation: 'link', source: 'monitor', externalId: 'bad-1', summary: 'Bad input', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} };
export const GET = { operation: 'get', source: 'monitor', externalId: 'seed-1' };
export const NOTE = { operation: 'add', ticketBy: 'link', source: 'monitor', externalId: 'seed-1', text: 'Disk at 97%', noteType: 'internal', additionalFields: {} };
export const STATUS = { operation: 'set', ticketBy: 'link', source: 'monitor', externalId: 'seed-1', statusBy: 'name', statusName: 'In Progress' };
export const RESOLVE = { operation: 'resolve', identitySource: 'email', identity: 'alice@acme.example' };
export const CONNECT = { operation: 'test' };

const link = (parameters: Record<string, unknown>): Row['node'] => ({ name: 'PSA Link', type: 'psaLink', parameters: { ...LINK, ...parameters } });
const get = (parameters: Record<string, unknown>): Row['node'] => ({ name: 'PSA Link', type: 'psaLink', parameters: { ...GET, ...parameters } });
const note = (parameters: Record<string, unknown>): Row['node'] => ({ name: 'PSA Note', type: 'psaNote', parameters: { ...NOTE, ...parameters } });
const status = (parameters: Record<string, unknown>): Row['node'] => ({ name: 'PSA Status', type: 'psaStatus', parameters: { ...STATUS, ...parameters } });
const members = (parameters: Record<string, unknown>): Row['node'] => ({ name: 'PSA Member Map', type: 'psaMemberMap', parameters: { ...RESOLVE, ...parameters } });
const connect = (parameters: Record<string, unknown>, credential?: string): Row['node'] => ({
	name: 'PSA Connect',
	type: 'psaConnect',
	parameters: { ...CONNECT, ...parameters },
	...(credential ? { credentials: { connectWisePsaApi: { id: credential, name: credential } } } : {}),
});
/** PSA Link > Get (store only) with a PSA State Store credential of the given id. */
const withStore = (storeCredential: string): Row['node'] => ({
	...get({}),
	credentials: { connectWisePsaApi: { id: 'cw-sandbox', name: 'ConnectWise sandbox' }, psaStateStore: { id: storeCredential, name: storeCredential } },
});

const long = (n: number) => 'x'.repeat(n);

/** ConnectWise credentials the table adds (id -> fields over the sandbox credential). */
export const BAD_PSA_CREDENTIALS: Record<string, Record<string, unknown>> = {
	'site-metadata-ip': { site: '169.254.169.254' },
	'site-metadata-https': { site: 'https://169.254.169.254/latest/meta-data/' },
	'site-link-local': { site: '169.254.10.20' },
	'site-decimal': { site: '2852039166' },
	'site-hex': { site: '0xa9fea9fe' },
	'site-ipv6-link-local': { site: '[fe80::a9fe:a9fe]' },
	'site-mapped': { site: '[::ffff:169.254.169.254]' },
	'site-gcp': { site: 'metadata.google.internal' },
	'site-gcp-dot': { site: 'Metadata.Google.Internal.' },
	'site-bare-metadata': { site: 'metadata' },
	'site-aws-ipv6': { site: '[fd00:ec2::254]' },
	'site-alibaba': { site: '100.100.100.200' },
	'site-http': { site: 'http://cw.example.com' },
	'site-ftp': { site: 'ftp://cw.example.com' },
	'site-userinfo': { site: 'https://admin:pw@cw.example.com' },
	'site-empty': { site: '   ' },
	'site-space': { site: 'cw example.com' },
	'site-unicode': { site: 'cw.exämple.com' },
	'site-port': { site: 'cw.example.com:70000' },
	'version-latest': { apiVersion: 'latest' },
	'version-injection': { apiVersion: '2025.8\r\nX-Injected: 1' },
	'version-old-format': { apiVersion: '3.0' },
	'company-empty': { companyId: '' },
	'clientid-empty': { clientId: '' },
	'publickey-newline': { publicKey: 'abc\r\nX-Injected: 1' },
	'site-huge-host': { site: `https://${long(10000)}.example.com/` },
	'site-host-over-253': { site: `${'a.'.repeat(200)}example.com` },
	'company-huge': { companyId: long(100000) },
	'company-list': { companyId: ['acme'] },
	'clientid-number': { clientId: 12345 },
};

/** Autotask credentials the table adds (id -> fields); never used for a request: each is refused before one. */
export const BAD_AUTOTASK_CREDENTIALS: Record<string, Record<string, unknown>> = {
	'at-zone-huge-host': { username: 'api@example.com', secret: 'at-secret-never-shown', integrationCode: 'TRACKING1', zoneUrl: `https://${long(10000)}.autotask.net/ATServicesRest/` },
	'at-zone-userinfo': { username: 'api@example.com', secret: 'at-secret-never-shown', integrationCode: 'TRACKING1', zoneUrl: 'https://api:at-secret-never-shown@webservices5.autotask.net/ATServicesRest/' },
	'at-username-huge': { username: `${long(100000)}@example.com`, secret: 'at-secret-never-shown', integrationCode: 'TRACKING1' },
	'at-username-list': { username: ['api@example.com'], secret: 'at-secret-never-shown', integrationCode: 'TRACKING1' },
	'at-secret-in-username': { username: 'at-secret-never-shown', secret: 'at-secret-never-shown', integrationCode: 'TRACKING1' },
};

/** PSA State Store credentials the table adds; `${dir}` and `${notDb}` are filled in by the test. */
export const BAD_STORE_CREDENTIALS: Record<string, Record<string, unknown>> = {
	'store-dotdot': { engine: 'sqlite', filePath: '../../etc/psa-bridge-bad-input-x' },
	'store-relative': { engine: 'sqlite', filePath: 'state.sqlite' },
	'store-tilde': { engine: 'sqlite', filePath: '~/state.sqlite' },
	'store-directory': { engine: 'sqlite', filePath: '${dir}' },
	'store-not-db': { engine: 'sqlite', filePath: '${notDb}' },
	'store-control': { engine: 'sqlite', filePath: '/tmp/psa\u0000bridge.sqlite' },
	'store-key-short': { engine: 'sqlite', filePath: '${fresh}', encryptionKey: 'c2hvcnQ=' },
	'store-key-not-base64': { engine: 'sqlite', filePath: '${fresh}', encryptionKey: '!!!! not a key !!!!' },
	'store-previous-bad': { engine: 'sqlite', filePath: '${fresh}', encryptionKey: '${goodKey}', previousKeys: 'abc, def' },
	'pg-unreachable': { engine: 'postgres', host: '127.0.0.1', port: 1, database: 'n8n', user: 'n8n', password: 'pg-secret-never-shown', encryptionKey: '${goodKey}' },
	'pg-port': { engine: 'postgres', host: '127.0.0.1', port: 70000, database: 'n8n', user: 'n8n', encryptionKey: '${goodKey}' },
	'pg-schema-injection': { engine: 'postgres', host: '127.0.0.1', port: 5432, database: 'n8n', user: 'n8n', schema: 'x"; drop schema public; --', encryptionKey: '${goodKey}' },
	'pg-host-empty': { engine: 'postgres', host: ' ', port: 5432, database: 'n8n', user: 'n8n', encryptionKey: '${goodKey}' },
	'pg-no-key': { engine: 'postgres', host: '127.0.0.1', port: 5432, database: 'n8n', user: 'n8n', encryptionKey: '' },
	'pg-host-url': { engine: 'postgres', host: 'postgres://n8n:pg-secret-never-shown@db.example/n8n', port: 5432, database: 'n8n', user: 'n8n', password: 'pg-secret-never-shown', encryptionKey: '${goodKey}' },
	'pg-schema-list': { engine: 'postgres', host: '127.0.0.1', port: 1, database: 'n8n', user: 'n8n', schema: ['public', 'psa_bridge'], encryptionKey: '${goodKey}' },
	'pg-password-number': { engine: 'postgres', host: '127.0.0.1', port: 1, database: 'n8n', user: 'n8n', password: 12345678, encryptionKey: '${goodKey}' },
	'pg-user-huge': { engine: 'postgres', host: '127.0.0.1', port: 1, database: 'n8n', user: long(100000), password: 'pg-secret-never-shown', encryptionKey: '${goodKey}' },
	'pg-password-in-host': { engine: 'postgres', host: 'pg-secret-never-shown', port: 1, database: 'n8n', user: 'n8n', password: 'pg-secret-never-shown', encryptionKey: '${goodKey}' },
	'store-key-in-path': { engine: 'sqlite', filePath: '/tmp/${goodKey}.sqlite', encryptionKey: '${goodKey}' },
	'store-path-list': { engine: 'sqlite', filePath: ['/tmp/a.sqlite'] },
	'store-engine-list': { engine: ['postgres'], filePath: '${fresh}' },
};

/** What each added credential must answer: [message, hint]. */
export const CREDENTIAL_ANSWERS: Record<string, [string | RegExp, RegExp]> = {
	'site-metadata-ip': ["The ConnectWise site '169.254.169.254' is refused: 169.254.169.254 is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-metadata-https': ["The ConnectWise site 'https://169.254.169.254/latest/meta-data/' is refused: 169.254.169.254 is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-link-local': ["The ConnectWise site '169.254.10.20' is refused: 169.254.10.20 is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-decimal': ["The ConnectWise site '2852039166' is refused: 2852039166 is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-hex': ["The ConnectWise site '0xa9fea9fe' is refused: 0xa9fea9fe is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-ipv6-link-local': ["The ConnectWise site '[fe80::a9fe:a9fe]' is refused: [fe80::a9fe:a9fe] is a link-local IPv6 address (fe80::/10); no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-mapped': ["The ConnectWise site '[::ffff:169.254.169.254]' is refused: [::ffff:169.254.169.254] is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-gcp': ["The ConnectWise site 'metadata.google.internal' is refused: metadata.google.internal is a cloud instance-metadata host name; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-gcp-dot': ["The ConnectWise site 'Metadata.Google.Internal.' is refused: metadata.google.internal is a cloud instance-metadata host name; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-bare-metadata': ["The ConnectWise site 'metadata' is refused: metadata is a cloud instance-metadata host name; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-aws-ipv6': ["The ConnectWise site '[fd00:ec2::254]' is refused: [fd00:ec2::254] is a cloud instance-metadata address; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-alibaba': ["The ConnectWise site '100.100.100.200' is refused: 100.100.100.200 is a cloud instance-metadata address; no request was sent", /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/],
	'site-http': ["The ConnectWise site 'http://cw.example.com' uses http://, which would send the API keys unencrypted", /^Use https:\/\/ \(plain http is only accepted for a local sandbo/],
	'site-ftp': ["The ConnectWise site 'ftp://cw.example.com' uses the unsupported scheme 'ftp'", /^Use https:\/\//],
	'site-userinfo': ["The ConnectWise credential's Site looks like a connection URL; put the host name only", /^Enter Site without a user name or password \(nothing between "\/\/" and "@"\)$/],
	'site-empty': ["The ConnectWise site is empty", /^Enter the host, e\.g\. api-na\.myconnectwise\.net/],
	'site-space': ["The ConnectWise site 'cw example.com' is not a host name", /^Enter the host, e\.g\. api-na\.myconnectwise\.net/],
	'site-unicode': ["The ConnectWise site 'cw.exämple.com' is not a host name", /^Enter the host, e\.g\. api-na\.myconnectwise\.net/],
	'site-port': ["The port in the ConnectWise site 'cw.example.com:70000' is out of range", /^Use a port between 1 and 65535, or leave it out for 443$/],
	'version-latest': ["API Version 'latest' is not a ConnectWise API version", /^Use the form YYYY\.N, e\.g\. '2025\.8'/],
	'version-injection': ["The ConnectWise credential's API Version contains a line break or another control character", /^Paste the API Version into the credential again, as one line$/],
	'version-old-format': ["API Version '3.0' is not a ConnectWise API version", /^Use the form YYYY\.N, e\.g\. '2025\.8'/],
	'company-empty': ["The ConnectWise credential's Company ID is empty", /^Fill in Company ID in the credential/],
	'clientid-empty': ["The ConnectWise credential's Client ID is empty", /^Fill in Client ID in the credential$/],
	'publickey-newline': ["The ConnectWise credential's Public Key contains a line break or another control character", /^Paste the Public Key into the credential again, as one line$/],
	'site-huge-host': ["The ConnectWise credential's Site is longer than 2048 characters (it has 10021)", /^Check Site: at most 2048 characters$/],
	'site-host-over-253': ["The ConnectWise credential's Site holds a host name longer than DNS allows (253 characters, 63 between dots)", /^Check Site: enter the server's host name$/],
	'company-huge': ["The ConnectWise credential's Company ID is longer than 256 characters (it has 100000)", /^Check Company ID: at most 256 characters$/],
	'company-list': ["The ConnectWise credential's Company ID must be text, not a list", /^Type Company ID into the credential; an expression there must return text/],
	'clientid-number': ["The ConnectWise credential's Client ID must be text, not a number", /^Type Client ID into the credential; an expression there must return text/],
	'at-zone-huge-host': ["The Autotask credential's Zone URL is longer than 2048 characters (it has 10037)", /^Check Zone URL: at most 2048 characters$/],
	'at-zone-userinfo': ["The Autotask credential's Zone URL looks like a connection URL; put the host name only", /^Enter Zone URL without a user name or password/],
	'at-username-huge': ["The Autotask credential's Username is longer than 254 characters (it has 100012)", /^Check Username: at most 254 characters$/],
	'at-username-list': ["The Autotask credential's Username must be text, not a list", /^Type Username into the credential; an expression there must return text/],
	'at-secret-in-username': ["The Autotask credential's Username holds the value of Secret, a secret; put each value in its own field", /^Check Username and Secret in the credential$/],
	'store-dotdot': [/^The PSA State Store file path '\.\.\/\.\.\/etc\/psa-bridge-bad-input-x' is relative; enter an absolute path \(e\.g\. \/tmp\/psa-bridge-engine-\w+\/\.n8n\/psa-bridge\/state\.sqlite\), or leave File Path empty for the default file in the n8n user folder$/, /^Check the PSA State Store credential \(engine, file path or P/],
	'store-relative': [/^The PSA State Store file path 'state\.sqlite' is relative; enter an absolute path \(e\.g\. \/tmp\/psa-bridge-engine-\w+\/\.n8n\/psa-bridge\/state\.sqlite\), or leave File Path empty for the default file in the n8n user folder$/, /^Check the PSA State Store credential \(engine, file path or P/],
	'store-tilde': [/^The PSA State Store file path '~\/state\.sqlite' is relative; enter an absolute path \(e\.g\. \/tmp\/psa-bridge-engine-\w+\/\.n8n\/psa-bridge\/state\.sqlite\), or leave File Path empty for the default file in the n8n user folder$/, /^Check the PSA State Store credential \(engine, file path or P/],
	'store-directory': [/^The PSA State Store file \/tmp\/psa-bad-input-\w+\/a-folder is a folder, not a database file; set File Path to a file inside it \(e\.g\. \/tmp\/psa-bad-input-\w+\/a-folder\/state\.sqlite\)$/, /^Check the PSA State Store credential \(engine, file path or P/],
	'store-not-db': [/^The PSA State Store file \/tmp\/psa-bad-input-\w+\/notes\.txt is not an SQLite database \(it holds other data\), so it was left unchanged; set File Path to the store's database, or to a file that does not exist yet$/, /^Check the PSA State Store credential \(engine, file path or P/],
	'store-control': ["The PSA State Store credential's File Path contains a line break or another control character", /^Paste the File Path into the credential again, as one line$/],
	'store-key-short': ["The PSA State Store encryption key is not usable: A Fernet key must decode to 32 bytes (44 base64 characters); this one decodes to 5 bytes", /^Check the PSA State Store credential's Encryption Key and Pr/],
	'store-key-not-base64': ["The PSA State Store encryption key is not usable: A Fernet key must be URL-safe base64 (44 characters); this one contains other characters", /^Check the PSA State Store credential's Encryption Key and Pr/],
	'store-previous-bad': ["The PSA State Store encryption key is not usable: Key 2 of 3: A Fernet key must decode to 32 bytes (44 base64 characters); this one decodes to 2 bytes", /^Check the PSA State Store credential's Encryption Key and Pr/],
	'pg-unreachable': ["Cannot reach the PSA State Store: PostgreSQL database \"n8n\" (schema \"psa_bridge\") on 127.0.0.1:1: the server refused the connection (is PostgreSQL running and listening on that host and port?)", /^The state store database did not answer; check that it is ru/],
	'pg-port': ["The PSA State Store credential's Port must be a whole number between 1 and 65535", /^Set Port to a number between 1 and 65535$/],
	'pg-schema-injection': ["The PSA State Store credential's Schema \"x\\\"; drop schema public; --\" is not allowed: use letters, digits and underscores, not starting with a digit (at most 63)", /^Check Schema in the credential$/],
	'pg-host-empty': ["The PostgreSQL host is required", /^Check the PSA State Store credential \(engine, file path or P/],
	'pg-no-key': ["The PSA State Store on PostgreSQL needs an encryption key: set \"Encryption Key\" in the PSA State Store credential", /^Check the PSA State Store credential's Encryption Key and Pr/],
	'pg-host-url': ["The PSA State Store credential's Host looks like a connection URL; put the host name only", /^Enter only the server's name or address in Host \(e\.g\. db\.example\.com\)/],
	'pg-schema-list': ["The PSA State Store credential's Schema must be text, not a list", /^Type Schema into the credential; an expression there must return text, and nothing else is replaced by a default$/],
	'pg-password-number': ["The PSA State Store credential's Password must be text, not a number", /^Type Password into the credential; an expression there must return text/],
	'pg-user-huge': ["The PSA State Store credential's User is longer than 63 characters (it has 100000)", /^Check User: at most 63 characters$/],
	'pg-password-in-host': ["The PSA State Store credential's Host holds the value of Password, a secret; put each value in its own field", /^Check Host and Password in the credential$/],
	'store-key-in-path': ["The PSA State Store credential's File Path holds the value of Encryption Key, a secret; put each value in its own field", /^Check File Path and Encryption Key in the credential$/],
	'store-path-list': ["The PSA State Store credential's File Path must be text, not a list", /^Type File Path into the credential/],
	'store-engine-list': ["The PSA State Store credential's Engine must be one of: SQLite File, PostgreSQL, not a list", /^Pick Engine from the list in the credential \(SQLite File, PostgreSQL\)$/],
};

// Four rows below accept two wordings: the one at the time of writing and the one the record-parameter change brings
// ("<Parameter> of item N is empty"); drop the old one once that change has landed.
export const ROWS: Row[] = [
	// --- PSA Link: sources, ids, expressions, oversize, control characters ---
	{ title: 'Link: source empty', cls: 'sources', node: link({ source: '' }), message: "The 'PSA Link' node has issues:\n- Parameter \"Source\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Link: source blank', cls: 'sources', node: link({ source: '   ' }), message: /^Source (of item 0 )?is empty$/, hint: /^Give (a source\.|Source for every item: )/ },
	{ title: 'Link: source undefined (expression)', cls: 'expressions', node: link({ source: '={{ $json.missing }}' }), message: /^Source\b.*item 0/, hint: /./ },
	{ title: 'Link: external ID empty', cls: 'ids', node: link({ externalId: '' }), message: "The 'PSA Link' node has issues:\n- Parameter \"External ID\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Link: external ID null (expression)', cls: 'expressions', node: link({ externalId: '={{ null }}' }), message: /^External ID\b.*item 0/, hint: /./ },
	{ title: 'Link: external ID object (expression)', cls: 'expressions', node: link({ externalId: '={{ { "id": 7 } }}' }), message: /^External ID\b.*item 0/, hint: /./ },
	{ title: 'Link: external ID array (expression)', cls: 'expressions', node: link({ externalId: '={{ [1, 2] }}' }), message: /^External ID\b.*item 0/, hint: /./ },
	{ title: 'Link: external ID of 5000 characters', cls: 'oversize', node: link({ externalId: long(5000) }), message: "External ID is longer than 1000 characters", hint: /^Shorten the external id\./ },
	{ title: 'Link: source of 5000 characters', cls: 'oversize', node: link({ source: long(5000) }), message: "Source is longer than 100 characters", hint: /^Shorten the source\./ },
	{ title: 'Link: external ID with a NUL', cls: 'control characters', node: link({ externalId: 'a\u0000b' }), message: 'External ID contains control characters (a line break, tab or NUL)', hint: /^Remove the control characters from the external id/ },
	{ title: 'Link: source with a newline', cls: 'control characters', node: link({ source: 'mon\nitor' }), message: 'Source contains control characters (a line break, tab or NUL)', hint: /^Remove the control characters from the source/ },
	{ title: 'Link: summary empty', cls: 'oversize', node: link({ summary: '' }), message: "The 'PSA Link' node has issues:\n- Parameter \"Summary\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Link: summary of 200000 characters', cls: 'oversize', node: link({ summary: long(200000) }), message: "Summary is longer than 10000 characters", hint: /^Shorten the summary\./ },
	{ title: 'Link: company ID "abc"', cls: 'ids', node: link({ company: { __rl: true, mode: 'id', value: 'abc' } }), message: "The 'PSA Link' node has issues:\n- A company ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Link: company ID -5', cls: 'ids', node: link({ company: { __rl: true, mode: 'id', value: '-5' } }), message: "The 'PSA Link' node has issues:\n- A company ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Link: company ID 0', cls: 'ids', node: link({ company: { __rl: true, mode: 'id', value: '0' } }), message: "Company ID must be a positive whole number, got 0", hint: /^Give the numeric company id\./ },
	{ title: 'Link: company ID 1e400', cls: 'ids', node: link({ company: { __rl: true, mode: 'id', value: '1e400' } }), message: "The 'PSA Link' node has issues:\n- A company ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Link: board ID 1.5', cls: 'ids', node: link({ boardId: 1.5 }), message: "Board ID must be a positive whole number, got 1.5", hint: /^Give the numeric board id\./ },
	{ title: 'Link: board ID -1', cls: 'ids', node: link({ boardId: -1 }), message: "Board ID must be a positive whole number, got -1", hint: /^Give the numeric board id\./ },
	{ title: 'Get: source null (expression)', cls: 'expressions', node: get({ source: '={{ null }}' }), message: /^Source\b.*item 0/, hint: /./ },
	{ title: 'Get: external ID object (expression)', cls: 'expressions', node: get({ externalId: '={{ $json }}' }), message: /^External ID\b.*item 0/, hint: /./ },
	{ title: 'Get: conditions injection in the external ID', cls: 'conditions injection', node: get({ externalId: 'x" or id > 0 or summary = "' }), message: "monitor \"x\" or id > 0 or summary = \"\" is not linked to a ticket", hint: /^Check the source and external ID, or create the link with PS/ },
	{ title: 'Get: SQL-looking external ID', cls: 'conditions injection', node: get({ externalId: "seed-1' OR '1'='1" }), message: "monitor \"seed-1' OR '1'='1\" is not linked to a ticket", hint: /^Check the source and external ID, or create the link with PS/ },
	{ title: 'Get: unicode external ID (not linked)', cls: 'unicode', node: get({ externalId: 'ünïcødé-😀-警报' }), message: "monitor \"ünïcødé-😀-警报\" is not linked to a ticket", hint: /^Check the source and external ID, or create the link with PS/ },
	{ title: 'Get: right-to-left override in the source', cls: 'unicode', node: get({ source: 'mon\u202Eitor' }), message: "mon‮itor \"seed-1\" is not linked to a ticket", hint: /^Check the source and external ID, or create the link with PS/ },
	{ title: 'Unlink: external ID blank', cls: 'ids', node: { name: 'PSA Link', type: 'psaLink', parameters: { operation: 'unlink', source: 'monitor', externalId: ' ' } }, message: /^External ID (of item 0 )?is empty$/, hint: /^Give (a external id\.|External ID for every item: )/ },
	{ title: 'Link Existing: ticket ID "abc"', cls: 'ids', node: { name: 'PSA Link', type: 'psaLink', parameters: { operation: 'linkExisting', source: 'chat', externalId: 't1', ticket: { __rl: true, mode: 'id', value: 'abc' } } }, message: "The 'PSA Link' node has issues:\n- A ticket ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Link Existing: ticket ID -1', cls: 'ids', node: { name: 'PSA Link', type: 'psaLink', parameters: { operation: 'linkExisting', source: 'chat', externalId: 't1', ticket: { __rl: true, mode: 'id', value: '-1' } } }, message: "The 'PSA Link' node has issues:\n- A ticket ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Link Existing: ticket URL on another host', cls: 'site URLs', node: { name: 'PSA Link', type: 'psaLink', parameters: { operation: 'linkExisting', source: 'chat', externalId: 't1', ticket: { __rl: true, mode: 'url', value: 'https://evil.example/ticket?id=1' } } }, message: "\"https://evil.example/ticket?id=1\" is not a ticket URL of this PSA", hint: /^Paste the ticket's address from the PSA, e\.g\. https:\/\/na\.myc/ },
	{ title: 'List: source filter object (expression)', cls: 'expressions', node: { name: 'PSA Link', type: 'psaLink', parameters: { operation: 'list', filters: { source: '={{ { "a": 1 } }}' } } }, message: "Source must be text, got an object", hint: /^Give Source as text, or pick one field of the object in the / },
	{ title: 'List: limit -1', cls: 'ids', node: { name: 'PSA Link', type: 'psaLink', parameters: { operation: 'list', filters: {}, limit: -1 } }, message: "limit must be a non-negative integer", hint: /^Check the node parameters\./ },

	// --- PSA Note ---
	{ title: 'Note: text empty', cls: 'oversize', node: note({ text: '' }), message: "The 'PSA Note' node has issues:\n- Parameter \"Text\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Note: text null (expression)', cls: 'expressions', node: note({ text: '={{ null }}' }), message: "Text resolved to null in item 0", hint: /^Give the note text/ },
	{ title: 'Note: text of 200000 characters', cls: 'oversize', node: note({ text: long(200000) }), message: "Note text is longer than 100000 characters", hint: /^Shorten the note text\./ },
	{ title: 'Note: ticket ID "abc"', cls: 'ids', node: note({ ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: 'abc' } }), message: "The 'PSA Note' node has issues:\n- A ticket ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Note: ticket ID 0', cls: 'ids', node: note({ ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: '0' } }), message: "Ticket ID must be a positive whole number, got 0", hint: /^Give the numeric ticket id\./ },
	{ title: 'Note: ticket URL javascript:', cls: 'site URLs', node: note({ ticketBy: 'ticket', ticket: { __rl: true, mode: 'url', value: 'javascript:alert(1)' } }), message: "The 'PSA Note' node has issues:\n- Paste the ticket's URL from the PSA", hint: /^refused by n8n before the run/ },
	{ title: 'Note: link source empty', cls: 'sources', node: note({ source: '' }), message: "The 'PSA Note' node has issues:\n- Parameter \"Source\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Note: link external ID array (expression)', cls: 'expressions', node: note({ externalId: '={{ ["a"] }}' }), message: /^External ID\b.*item 0/, hint: /./ },
	{ title: 'Note: not-linked unicode external ID', cls: 'unicode', node: note({ externalId: 'ünïcødé-😀' }), message: "monitor \"ünïcødé-😀\" is not linked to a ticket", hint: /^Check the source and external ID, or create the link with PS/ },
	{ title: 'Note: dedupe key object (expression)', cls: 'dedupe keys', node: note({ additionalFields: { dedupeKey: '={{ { "k": 1 } }}' } }), message: /^Dedupe Key (must be text, got an object|of item 0 is an object, not text)$/, hint: /^Give Dedupe Key (as text, or pick one field of the object in |for every item: )/ },
	{ title: 'Note: dedupe key of 5000 characters', cls: 'dedupe keys', node: note({ additionalFields: { dedupeKey: long(5000) } }), message: "Dedupe Key is longer than 500 characters", hint: /^Shorten the dedupe key\./ },
	{ title: 'Note: dedupe key with control characters', cls: 'dedupe keys', node: note({ additionalFields: { dedupeKey: 'k\u0007\u0000' } }), message: /^Dedupe Key\b.*control characters/, hint: /./ },
	{ title: 'Note: note type "bogus"', cls: 'ids', node: note({ noteType: 'bogus' }), message: "Note type \"bogus\" is not one of discussion, internal, resolution", hint: /^Choose Discussion, Internal or Resolution\./ },

	// --- PSA Status ---
	{ title: 'Status: status name empty', cls: 'ids', node: status({ statusName: '' }), message: "The 'PSA Status' node has issues:\n- Parameter \"Status Name\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Status: status ID -3', cls: 'ids', node: status({ statusBy: 'id', statusId: -3 }), message: "Status ID must be a positive whole number, got -3", hint: /^Give the numeric status id\./ },
	{ title: 'Status: status ID "abc" (expression)', cls: 'expressions', node: status({ statusBy: 'id', statusId: '={{ "abc" }}' }), message: "Status ID must be a positive whole number, got \"abc\"", hint: /^Give the numeric status id\./ },
	{ title: 'Status: external state empty', cls: 'ids', node: status({ statusBy: 'external', externalState: '' }), message: "The 'PSA Status' node has issues:\n- Parameter \"External State\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Status: ticket ID "abc"', cls: 'ids', node: status({ ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: 'abc' } }), message: "The 'PSA Status' node has issues:\n- A ticket ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Status: status name with conditions injection', cls: 'conditions injection', node: status({ statusName: 'New" or name like "%' }), message: "Status \"New\" or name like \"%\" is not an active status of board \"Help Desk\"", hint: /^Valid statuses on this board: "New" \(101\), "In Progress" \(10/, noRequest: false },
	{ title: 'Status: Close with external ID null (expression)', cls: 'expressions', node: status({ operation: 'close', externalId: '={{ null }}' }), message: /^External ID\b.*item 0/, hint: /./ },
	{ title: 'Status: Reopen with ticket ID 1.5', cls: 'ids', node: status({ operation: 'reopen', ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: '1.5' } }), message: "The 'PSA Status' node has issues:\n- A ticket ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Status: Map External State with board ID 0', cls: 'ids', node: { name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'mapExternalState', boardId: 0, externalState: 'Acknowledged', statusId: 102 } }, message: "Board ID must be a positive whole number, got 0", hint: /^Give the numeric board id\./ },
	{ title: 'Status: Map External State with state empty', cls: 'ids', node: { name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'mapExternalState', boardId: 1, externalState: '', statusId: 102 } }, message: "The 'PSA Status' node has issues:\n- Parameter \"External State\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Status: Map External State with status ID 0', cls: 'ids', node: { name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'mapExternalState', boardId: 1, externalState: 'Acknowledged', statusId: 0 } }, message: "Status ID must be a positive whole number, got 0", hint: /^Give the numeric status id\./ },

	// --- PSA Member Map ---
	{ title: 'Member Map: identity empty', cls: 'emails', node: members({ identity: '' }), message: "The 'PSA Member Map' node has issues:\n- Parameter \"Identity\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Member Map: email without @', cls: 'emails', node: members({ identity: 'not-an-email' }), message: "No member is mapped to email identity \"not-an-email\"", hint: /^Only emails are matched automatically\. Map this identity wit/ },
	{ title: 'Member Map: email with a newline', cls: 'control characters', node: members({ identity: 'alice@acme.example\nbcc: x@y' }), message: "No member is mapped to email identity \"alice@acme.example\nbcc: x@y\"", hint: /^Only emails are matched automatically\. Map this identity wit/ },
	{ title: 'Member Map: email of 5000 characters', cls: 'oversize', node: members({ identity: `${long(5000)}@acme.example` }), message: "Identity is longer than 320 characters", hint: /^Shorten the identity\./ },
	{ title: 'Member Map: identity object (expression)', cls: 'expressions', node: members({ identity: '={{ { "email": "a@b.c" } }}' }), message: /^Identity\b.*item 0/, hint: /./ },
	{ title: 'Member Map: identity source blank', cls: 'sources', node: members({ identitySource: ' ' }), message: /^Identity [Ss]ource (of item 0 )?is empty$/, hint: /^Give (a identity source\.|Identity Source for every item: )/ },
	{ title: 'Member Map: email with conditions injection', cls: 'conditions injection', node: members({ identity: 'x"or"1"="1@acme.example' }), message: "No active member has the email x\"or\"1\"=\"1@acme.example", hint: /^Check the email, or map the identity with PSA Member Map > S/, noRequest: false },
	{ title: 'Member Map: unicode email', cls: 'unicode', node: members({ identity: 'ålice@äcme.example' }), message: "No active member has the email ålice@äcme.example", hint: /^Check the email, or map the identity with PSA Member Map > S/, noRequest: false },
	{ title: 'Member Map: Set with identity empty', cls: 'emails', node: members({ operation: 'set', identity: '', member: { __rl: true, mode: 'id', value: '151' } }), message: "The 'PSA Member Map' node has issues:\n- Parameter \"Identity\" is required.", hint: /^refused by n8n before the run/ },
	{ title: 'Member Map: Set with member ID "abc"', cls: 'ids', node: members({ operation: 'set', member: { __rl: true, mode: 'id', value: 'abc' } }), message: "The 'PSA Member Map' node has issues:\n- A member ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Member Map: Set with member ID -1', cls: 'ids', node: members({ operation: 'set', member: { __rl: true, mode: 'id', value: '-1' } }), message: "The 'PSA Member Map' node has issues:\n- A member ID is a number", hint: /^refused by n8n before the run/ },
	{ title: 'Member Map: Set with identifier injection', cls: 'conditions injection', node: members({ operation: 'set', member: { __rl: true, mode: 'identifier', value: 'x" or identifier like "%' } }), message: "No member has the identifier \"x\" or identifier like \"%\"", hint: /^Check the identifier \(the member's login name in the PSA\) or/, noRequest: false },
	{ title: 'Member Map: Remove with identity null (expression)', cls: 'expressions', node: members({ operation: 'remove', identity: '={{ null }}' }), message: /^Identity\b.*item 0/, hint: /./ },
	{ title: 'Member Map: damaged row, List returns the intact mapping and reports the damaged one', cls: 'damaged rows', node: members({ operation: 'list', filters: {} }), message: null, hint: /./, answer: { identity: 'intact@acme.example' } },
	{ title: 'Member Map: damaged row, Resolve of its identity', cls: 'damaged rows', node: members({ identity: 'damaged@acme.example' }), message: /^The row source \"email\", identity hash [0-9a-f]{16} \(member \"adoe\"\) of psa_member_map is damaged: its sealed value does not open with the store's keys \(it was sealed under another key, or altered\)\. Set the mapping again \(PSA Member Map > Set\) or remove it \(PSA Member Map > Remove\); if the store's Encryption Key was changed, put the old key in Previous Keys$/, hint: /^Only the row named in the message is affected; the message s/ },

	// --- PSA Connect and the ConnectWise credential: site URLs, API versions ---
	{ title: 'Connect: Forget an unknown connection ID', cls: 'ids', node: connect({ operation: 'forget', confirm: true, connectionId: 'connectwise:0000000000000000' }), message: null, hint: /./, answer: {} },
	{ title: "Connect: Forget with an injection connection ID", cls: 'conditions injection', node: connect({ operation: 'forget', confirm: true, connectionId: "x' or 1=1 --" }), message: null, hint: /./, answer: {} },
	...Object.keys(BAD_PSA_CREDENTIALS).map(
		(id): Row => ({
			title: `Connect: Test with credential ${id}`,
			cls: id.startsWith('site') ? 'site URLs' : id.startsWith('version') ? 'API versions' : id.startsWith('company-') || id === 'clientid-number' ? 'credential settings' : 'ids',
			node: connect({}, id),
			message: CREDENTIAL_ANSWERS[id][0],
			hint: CREDENTIAL_ANSWERS[id][1],
		}),
	),
	...Object.keys(BAD_AUTOTASK_CREDENTIALS).map(
		(id): Row => ({
			title: `Connect: Test with Autotask credential ${id}`,
			cls: 'credential settings',
			node: { name: 'PSA Connect', type: 'psaConnect', parameters: { ...CONNECT, authentication: 'autotaskPsaApi' }, credentials: { autotaskPsaApi: { id, name: id } } },
			message: CREDENTIAL_ANSWERS[id][0],
			hint: CREDENTIAL_ANSWERS[id][1],
		}),
	),
	{ title: 'Link: Link with the metadata-address credential', cls: 'site URLs', node: { ...link({}), credentials: { connectWisePsaApi: { id: 'site-metadata-ip', name: 'site-metadata-ip' } } }, message: "The ConnectWise site '169.254.169.254' is refused: 169.254.169.254 is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata; no request was sent", hint: /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/ },
	{ title: 'Connect: Check Permissions with the metadata-name credential', cls: 'site URLs', node: connect({ operation: 'checkPermissions' }, 'site-gcp'), message: "The ConnectWise site 'metadata.google.internal' is refused: metadata.google.internal is a cloud instance-metadata host name; no request was sent", hint: /^Enter the host name of your ConnectWise site, e\.g\. api-na\.my/ },

	// --- the PSA State Store credential: paths, keys, PostgreSQL ---
	...Object.keys(BAD_STORE_CREDENTIALS).map(
		(id): Row => ({
			title: `Store credential ${id}`,
			cls: ['pg-host-url', 'pg-schema-list', 'pg-password-number', 'pg-user-huge', 'pg-password-in-host', 'store-key-in-path', 'store-path-list', 'store-engine-list'].includes(id)
				? 'credential settings'
				: id.startsWith('pg')
					? 'postgres'
					: id.includes('key') || id.includes('previous')
						? 'store keys'
						: 'store paths',
			node: withStore(id),
			message: CREDENTIAL_ANSWERS[id][0],
			hint: CREDENTIAL_ANSWERS[id][1],
		}),
	),
];
