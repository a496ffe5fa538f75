// The routes and models the Autotask reference contract (../shared/autotask/) lists, to check requests and answers against; absent when the contract is not beside the repository.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONTRACT_DIR = join(__dirname, '..', '..', '..', '..', 'shared', 'autotask');

/** The two cuts of the published swagger: tickets, notes, companies, contacts, resources, webhooks; and the work subset (configuration items and more). */
export const SWAGGER_FILES = ['swagger-v1-2020-subset.json', 'swagger-v1-2020-work-subset.json'];

/** Routes the 2020 swagger subsets lack, each with what backs it; the last two are the sandbox's choice where the reference is silent. */
export const EXTRA_ROUTES: Array<[string, RegExp, string]> = [
	['POST', /^\/\w+\/query\/next$/i, 'README §4: nextPageUrl is {zone}V1.0/{Entity}/query/next?paging=...'],
	['GET', /^\/\w+\/query\/next$/i, 'README §4: a GET query is followed with GET'],
	['GET', /^\/atservicesrest\/v1\.0\/zoneinformation$/i, 'README §1: zone lookup path (the swagger names it /V1.0/ZoneInformation)'],
	[
		'POST',
		/^\/CompanyLocations\/query$/i,
		'unconfirmed: the Tickets fixture names companyLocationID a reference to CompanyLocation; the entity is in neither subset, its query path follows §3',
	],
	[
		'DELETE',
		/^\/Tickets\/\d+\/AdditionalConfigurationItems\/\d+$/i,
		'unconfirmed: the work subset lists GET and POST only; the path follows the child deletes it lists (/Tickets/{parentId}/Attachments/{id}, /CompanyWebhooks/{parentId}/Fields/{id})',
	],
];

export interface ContractRoute {
	method: string;
	regex: RegExp;
	path: string;
}

/** Every (verb, path) of the swagger subsets, TicketWebhooks* following the CompanyWebhooks* template (README §9); undefined when absent. */
export function contractRoutes(): ContractRoute[] | undefined {
	const files = SWAGGER_FILES.map((name) => join(CONTRACT_DIR, name));
	if (!files.every((file) => existsSync(file))) return undefined;
	const paths = files.flatMap((file) => Object.entries((JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>> }).paths));
	const routes: ContractRoute[] = [];
	for (const [path, verbs] of paths) {
		const variants = path.includes('CompanyWebhook') ? [path, path.replace('CompanyWebhook', 'TicketWebhook')] : [path];
		for (const variant of variants) {
			const pattern = variant.replace(/^\/V1\.0/i, '').replace(/\{\w+\}/g, '[^/]+');
			for (const verb of Object.keys(verbs)) routes.push({ method: verb.toUpperCase(), regex: new RegExp(`^${pattern}$`, 'i'), path: variant });
		}
	}
	return routes;
}

/** The requests (method + path after /V1.0, or the whole path outside it) that no contract route covers. */
export function offContract(routes: ContractRoute[], requests: Array<{ method: string; path: string }>): string[] {
	return requests
		.filter(({ method, path }) => {
			// The swagger lists the version list at the root of the service, as /versioninformation.
			const listed = path.replace(/^\/atservicesrest(?=\/versioninformation$)/i, '');
			if (routes.some((route) => route.method === method && route.regex.test(listed))) return false;
			return !EXTRA_ROUTES.some(([verb, regex]) => verb === method && regex.test(path));
		})
		.map(({ method, path }) => `${method} ${path}`);
}

interface Schema {
	$ref?: string;
	type?: string;
	items?: Schema;
	properties?: Record<string, Schema>;
}

interface Operation {
	parameters?: Array<{ in: string; schema?: Schema }>;
	responses: Record<string, { schema?: Schema }>;
}

interface Swagger {
	paths: Record<string, Record<string, Operation>>;
	definitions: Record<string, Schema>;
}

/** What the swagger subsets say of one request: the model its body and its answer are made of. */
export interface ContractModels {
	path: string;
	body?: string;
	response?: string;
	definitions: Record<string, Schema>;
}

const refName = (schema: Schema | undefined) => schema?.$ref?.split('/').pop();

/** The models of the operation a request (method, path after /V1.0) is, from either subset; undefined when none lists it. */
export function contractModels(method: string, path: string): ContractModels | undefined {
	const files = SWAGGER_FILES.map((name) => join(CONTRACT_DIR, name));
	if (!files.every((file) => existsSync(file))) return undefined;
	for (const file of files) {
		const swagger = JSON.parse(readFileSync(file, 'utf8')) as Swagger;
		for (const [template, verbs] of Object.entries(swagger.paths)) {
			const operation = verbs[method.toLowerCase()];
			if (!operation || !new RegExp(`^${template.replace(/^\/V1\.0/i, '').replace(/\{\w+\}/g, '[^/]+')}$`, 'i').test(path)) continue;
			const body = refName(operation.parameters?.find((parameter) => parameter.in === 'body')?.schema);
			const response = refName(operation.responses['200']?.schema);
			return { path: template, ...(body ? { body } : {}), ...(response ? { response } : {}), definitions: swagger.definitions };
		}
	}
	return undefined;
}

/** Models whose values are free data (Filter.value) or undescribed (Object). */
const OPAQUE = new Set(['Object', 'ValueItem']);

/** Keys a value has that its model does not declare (names compare case-insensitively: the wire is camelCase), and values of another type. */
export function shapeProblems(value: unknown, model: string, definitions: Record<string, Schema>, at: string): string[] {
	const properties = definitions[model]?.properties;
	if (!properties || OPAQUE.has(model)) return [];
	if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${at}: ${JSON.stringify(value)} is not a ${model} object`];
	const byName = new Map(Object.entries(properties).map(([name, schema]) => [name.toLowerCase(), schema]));
	return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => {
		const schema = byName.get(key.toLowerCase());
		return schema ? typeProblems(child, schema, definitions, `${at}.${key}`) : [`${at}.${key}: not a property of ${model}`];
	});
}

function typeProblems(value: unknown, schema: Schema, definitions: Record<string, Schema>, at: string): string[] {
	if (value === null || value === undefined) return [];
	const ref = refName(schema);
	if (ref) return shapeProblems(value, ref, definitions, at);
	const wrong = (what: string) => [`${at}: ${JSON.stringify(value)} is not ${what}`];
	switch (schema.type) {
		case 'integer':
			return Number.isInteger(value) ? [] : wrong('an integer');
		case 'number':
			return typeof value === 'number' ? [] : wrong('a number');
		case 'string':
			return typeof value === 'string' ? [] : wrong('a string');
		case 'boolean':
			return typeof value === 'boolean' ? [] : wrong('a boolean');
		case 'array':
			return Array.isArray(value) ? value.flatMap((item, index) => (schema.items ? typeProblems(item, schema.items, definitions, `${at}[${index}]`) : [])) : wrong('an array');
		default:
			return [];
	}
}

/**
 * An answer checked against its operation's model inside the wire envelope of README §2 (the swagger declares the bare
 * model, a published defect): {item}, {items, pageDetails}, {itemId} (OperationResultModel), else the model itself.
 */
export function answerProblems(answer: unknown, models: ContractModels, at: string): string[] {
	if (!models.response || !answer || typeof answer !== 'object') return [];
	const body = answer as Record<string, unknown>;
	const { response, definitions } = models;
	if ('item' in body) return shapeProblems(body.item, response, definitions, `${at}.item`);
	if ('items' in body) {
		const extra = Object.keys(body).filter((key) => key !== 'items' && key !== 'pageDetails');
		const items = Array.isArray(body.items) ? body.items : [];
		return [...extra.map((key) => `${at}.${key}: not part of a list answer`), ...items.flatMap((item, index) => shapeProblems(item, response, definitions, `${at}.items[${index}]`))];
	}
	if ('itemId' in body) return shapeProblems(body, 'OperationResultModel', definitions, at);
	return shapeProblems(body, response, definitions, at);
}
