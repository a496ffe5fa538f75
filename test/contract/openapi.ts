// Checks logged ConnectWise exchanges (method, path, query, request and response bodies) against the published OpenAPI subset.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { GO_CLIENT_LOCATION, loadGoClientDocument } from './go-client';

/** Where the OpenAPI subset lives: ../shared/connectwise/ next to the repository, never inside it. */
export const OPENAPI_FILE = join(__dirname, '..', '..', '..', 'shared', 'connectwise', 'openapi-2025.8-subset.json');

/** The model version the document describes; responses shaped by other models cannot be checked against it. */
export const DOCUMENT_VERSION = '2025.8';

/**
 * Where the check is deliberately looser than the document, and why. Each is a known defect of the published
 * description, not of the sandbox or the adapter.
 */
export const RELAXATIONS = [
	'PatchOperation.value is declared `type: object`, but ConnectWise accepts (and its own examples send) strings, numbers and booleans for scalar paths such as summary; any JSON value is accepted.',
	'CustomFieldValue.value is declared `type: object` the same way, but a custom field holds text, a number, a boolean or a date string; any JSON value is accepted.',
	"Responses to requests with `fields` are partial by design, so the schemas' `required` lists are not enforced for them.",
];

/** The part of a request-log entry the check reads; the sandbox's RequestLogEntry fits, so does a transport's own log. */
export interface Exchange {
	method: string;
	/** Path after /apis/3.0 (a full URL or a path containing /apis/3.0 is accepted too). */
	path: string;
	query?: Record<string, string>;
	/** Request headers, lower-cased, when known. */
	headers?: Record<string, string>;
	body?: unknown;
	/** Response status; 0 when no response arrived. */
	status?: number;
	response?: unknown;
	/** Version requested in Accept. */
	version?: string;
	/** Model the response was shaped with (the sandbox records it). */
	modelVersion?: string;
}

export interface ContractReport {
	requestsChecked: number;
	responsesChecked: number;
	violations: string[];
	/** Why exchanges (or halves of them) were not checked, with counts. */
	skipped: Record<string, number>;
	/** Requests checked against each reference (the OpenAPI subset; the Go client for operations the subset lacks). */
	checkedBy: Record<string, number>;
}

type JsonObject = Record<string, unknown>;

interface Operation {
	method: string;
	template: string;
	regex: RegExp;
	literalSegments: number;
	queryParameters: Set<string>;
	requestSchema?: JsonObject;
	responses: Record<string, JsonObject | undefined>;
}

function convertNullable(node: unknown): unknown {
	if (Array.isArray(node)) return node.map(convertNullable);
	if (node === null || typeof node !== 'object') return node;
	const object: JsonObject = {};
	for (const [key, value] of Object.entries(node as JsonObject)) object[key] = convertNullable(value);
	if (object.nullable === true) {
		if (typeof object.type === 'string') object.type = [object.type, 'null'];
		if (Array.isArray(object.enum)) object.enum = [...object.enum, null];
	}
	delete object.nullable;
	return object;
}

function withoutRequired(node: unknown): unknown {
	if (Array.isArray(node)) return node.map(withoutRequired);
	if (node === null || typeof node !== 'object') return node;
	const object: JsonObject = {};
	for (const [key, value] of Object.entries(node as JsonObject)) {
		if (key === 'required' && Array.isArray(value)) continue;
		object[key] = withoutRequired(value);
	}
	return object;
}

function rebaseRefs(node: unknown, documentId: string): unknown {
	if (Array.isArray(node)) return node.map((item) => rebaseRefs(item, documentId));
	if (node === null || typeof node !== 'object') return node;
	const object: JsonObject = {};
	for (const [key, value] of Object.entries(node as JsonObject)) {
		object[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#') ? `${documentId}${value}` : rebaseRefs(value, documentId);
	}
	return object;
}

function firstContentSchema(content: unknown): JsonObject | undefined {
	if (!content || typeof content !== 'object') return undefined;
	const first = Object.values(content as JsonObject)[0] as JsonObject | undefined;
	return first?.schema as JsonObject | undefined;
}

/** Strips an absolute URL or /{codebase}apis/3.0 prefix and the query: what remains is the document's path. */
export function apiPath(path: string): string {
	let result = path;
	const marker = result.indexOf('/apis/3.0');
	if (marker >= 0) result = result.slice(marker + '/apis/3.0'.length);
	else if (/^https?:\/\//.test(result)) result = new URL(result).pathname;
	return result.split('?')[0] || '/';
}

export class OpenApiContract {
	private readonly ajv: Ajv;
	private readonly operations: Operation[] = [];
	private readonly validators = new Map<string, ValidateFunction>();

	/** `name` says in reports which reference checked an exchange. */
	constructor(
		document: JsonObject,
		readonly name = 'OpenAPI subset',
	) {
		this.ajv = new Ajv({ strict: false, allErrors: true });
		addFormats(this.ajv);
		this.ajv.addFormat('int32', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 });
		this.ajv.addFormat('double', { type: 'number', validate: (value: number) => Number.isFinite(value) });

		const components = convertNullable((document.components as JsonObject) ?? {}) as JsonObject;
		const schemas = structuredClone(components.schemas as Record<string, JsonObject>);
		for (const schema of ['PatchOperation', 'CustomFieldValue']) {
			const properties = schemas[schema]?.properties as JsonObject | undefined;
			if (properties?.value) properties.value = {};
		}
		this.ajv.addSchema({ $id: 'cw', components: { schemas } });
		this.ajv.addSchema({ $id: 'cw-partial', components: { schemas: withoutRequired(schemas) } });

		for (const [template, item] of Object.entries(document.paths as Record<string, JsonObject>)) {
			for (const [method, raw] of Object.entries(item)) {
				if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
				const operation = raw as JsonObject;
				const parameters = (operation.parameters as JsonObject[] | undefined) ?? [];
				const responses: Record<string, JsonObject | undefined> = {};
				for (const [status, response] of Object.entries((operation.responses as JsonObject) ?? {})) {
					responses[status] = firstContentSchema((response as JsonObject).content);
				}
				const pattern = template.replace(/\{\w+\}/g, '[^/]+');
				this.operations.push({
					method: method.toUpperCase(),
					template,
					regex: new RegExp(`^${pattern}/?$`),
					literalSegments: template.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
					queryParameters: new Set(parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name as string)),
					requestSchema: firstContentSchema((operation.requestBody as JsonObject | undefined)?.content),
					responses,
				});
			}
		}
		// The most literal template wins when several match.
		this.operations.sort((a, b) => b.literalSegments - a.literalSegments);
	}

	/** The document's operation for a method and path, if it has one. */
	operationFor(method: string, path: string): { template: string } | undefined {
		const cleanPath = apiPath(path);
		return this.operations.find((operation) => operation.method === method.toUpperCase() && operation.regex.test(cleanPath));
	}

	private validator(key: string, schema: JsonObject, partial: boolean): ValidateFunction {
		const cacheKey = `${key}|${partial}`;
		let validate = this.validators.get(cacheKey);
		if (!validate) {
			const converted = convertNullable(schema);
			validate = this.ajv.compile(rebaseRefs(partial ? withoutRequired(converted) : converted, partial ? 'cw-partial' : 'cw') as JsonObject);
			this.validators.set(cacheKey, validate);
		}
		return validate;
	}

	private describeErrors(validate: ValidateFunction): string {
		return (validate.errors ?? [])
			.slice(0, 5)
			.map((error) => `${error.instancePath || '(root)'} ${error.message}${error.params && 'allowedValues' in error.params ? ` ${JSON.stringify(error.params.allowedValues)}` : ''}`)
			.join('; ');
	}

	/**
	 * Checks each exchange against this document; an operation it lacks is checked against `fallback` (the Go client),
	 * or skipped when there is none, or reported when neither describes it.
	 */
	validateExchanges(entries: Exchange[], fallback?: OpenApiContract | null): ContractReport {
		const report: ContractReport = { requestsChecked: 0, responsesChecked: 0, violations: [], skipped: {}, checkedBy: {} };
		const skip = (reason: string) => {
			report.skipped[reason] = (report.skipped[reason] ?? 0) + 1;
		};
		for (const entry of entries) {
			if (/^\/login\/companyinfo\//i.test(entry.path) || /^\/callback-keys\//.test(entry.path)) {
				skip('outside /apis/3.0 (codebase discovery, signing keys): not described by the document');
				continue;
			}
			const method = entry.method.toUpperCase();
			const path = apiPath(entry.path);
			const label = `${method} ${path}`;
			const owner = this.operationFor(method, path) ? this : fallback?.operationFor(method, path) ? fallback : undefined;
			if (!owner) {
				if (fallback === null) skip(`outside the OpenAPI subset, and the Go client that describes the rest is absent (${GO_CLIENT_LOCATION})`);
				else report.violations.push(`${label}: no such operation in the OpenAPI document${fallback ? ' or the Go client' : ''}`);
				continue;
			}
			const model = entry.modelVersion ?? entry.version ?? DOCUMENT_VERSION;
			if (model !== DOCUMENT_VERSION) {
				skip(`model version ${model} (the document describes ${DOCUMENT_VERSION})`);
				continue;
			}
			owner.checkExchange(entry, method, path, label, report, skip);
		}
		return report;
	}

	private checkExchange(entry: Exchange, method: string, path: string, label: string, report: ContractReport, skip: (reason: string) => void): void {
		const operation = this.operations.find((candidate) => candidate.method === method && candidate.regex.test(path)) as Operation;
		report.requestsChecked++;
		report.checkedBy[this.name] = (report.checkedBy[this.name] ?? 0) + 1;
		for (const name of Object.keys(entry.query ?? {})) {
			if (!operation.queryParameters.has(name)) report.violations.push(`${label}: query parameter '${name}' is not declared for ${operation.template}`);
		}
		if (entry.headers && !entry.headers.clientid) report.violations.push(`${label}: no clientId header`);
		if (operation.requestSchema) {
			if (entry.body === undefined) report.violations.push(`${label}: request body missing`);
			else {
				const validate = this.validator(`request ${method} ${operation.template}`, operation.requestSchema, false);
				if (!validate(entry.body)) report.violations.push(`${label}: request body: ${this.describeErrors(validate)}`);
			}
		} else if (entry.body !== undefined && entry.body !== '') {
			report.violations.push(`${label}: sends a body, but the operation declares none`);
		}

		const status = entry.status;
		if (status === undefined) return;
		if (status === 0) {
			skip('no response (connection dropped)');
			return;
		}
		if (status < 200 || status >= 300) {
			skip('error response (the document describes only success bodies)');
			return;
		}
		// OpenAPI's range key: the Go client states no status codes, only that anything below 300 is success.
		const declared = String(status) in operation.responses ? String(status) : `${Math.floor(status / 100)}XX` in operation.responses ? `${Math.floor(status / 100)}XX` : undefined;
		if (!declared) {
			report.violations.push(`${label}: status ${status} is not declared (declared: ${Object.keys(operation.responses).join(', ')})`);
			return;
		}
		report.responsesChecked++;
		const schema = operation.responses[declared];
		if (!schema) {
			if (entry.response !== undefined && entry.response !== '') report.violations.push(`${label}: ${status} declares no body but one was sent`);
			return;
		}
		const partial = Boolean(entry.query?.fields);
		const validate = this.validator(`response ${method} ${operation.template} ${declared}`, schema, partial);
		if (!validate(entry.response)) report.violations.push(`${label}: response ${status}: ${this.describeErrors(validate)}`);
	}
}

let cached: OpenApiContract | null | undefined;

/** The contract from ../shared/connectwise/, or undefined when that folder is absent (say so where it matters). */
export function loadOpenApiContract(file = OPENAPI_FILE): OpenApiContract | undefined {
	if (file !== OPENAPI_FILE) return existsSync(file) ? new OpenApiContract(JSON.parse(readFileSync(file, 'utf8'))) : undefined;
	if (cached === undefined) cached = existsSync(file) ? new OpenApiContract(JSON.parse(readFileSync(file, 'utf8'))) : null;
	return cached ?? undefined;
}

let cachedGo: OpenApiContract | null | undefined;

/** The Go client as a contract (operations the subset lacks), or undefined when it is absent (see GO_CLIENT_LOCATION). */
export function loadGoClientContract(): OpenApiContract | undefined {
	if (cachedGo === undefined) {
		const loaded = loadGoClientDocument();
		cachedGo = loaded ? new OpenApiContract(loaded.document, `Go client${loaded.version ? ` ${loaded.version}` : ''}`) : null;
	}
	return cachedGo ?? undefined;
}

/**
 * Checks exchanges against the document, and operations it lacks against the Go client (skipped, and counted, when the
 * Go client is absent). Throws when the document is absent: callers decide how to report that (see
 * `loadOpenApiContract`).
 */
export function validateExchanges(entries: Exchange[]): ContractReport {
	const contract = loadOpenApiContract();
	if (!contract) throw new Error(`The OpenAPI document is absent: ${OPENAPI_FILE}`);
	return contract.validateExchanges(entries, loadGoClientContract() ?? null);
}

/** One line for test output: how much was checked and what was skipped. */
export function summarizeReport(report: ContractReport): string {
	const skipped = Object.entries(report.skipped)
		.map(([reason, count]) => `${count} ${reason}`)
		.join('; ');
	const by = Object.entries(report.checkedBy)
		.map(([name, count]) => `${count} by the ${name}`)
		.join(', ');
	return `OpenAPI contract: ${report.requestsChecked} requests${by ? ` (${by})` : ''} and ${report.responsesChecked} responses checked, ${report.violations.length} violations${skipped ? `; skipped: ${skipped}` : ''}`;
}
