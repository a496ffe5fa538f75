// Reads ConnectWise's public Go client (generated from its OpenAPI description) into an OpenAPI-shaped document: paths, verbs, query parameters and bodies from api_*.go, schemas from model_*.go.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the Go client is read from: CONNECTWISE_GO_CLIENT (a checkout or a git directory of
 * github.com/ai-connor/connectwise), else ../shared/connectwise/go-client next to the repository. Never inside it.
 */
export const GO_CLIENT_LOCATION = process.env.CONNECTWISE_GO_CLIENT || join(__dirname, '..', '..', '..', 'shared', 'connectwise', 'go-client');

type JsonObject = Record<string, unknown>;

/** The files of a checkout, or of a git directory without a work tree (read with git, never unpacked). */
interface GoSource {
	names(): string[];
	readAll(names: string[]): Map<string, string>;
}

function directorySource(root: string): GoSource {
	return {
		names: () => readdirSync(root).filter((name) => name.endsWith('.go')),
		readAll: (names) => new Map(names.map((name) => [name, readFileSync(join(root, name), 'utf8')])),
	};
}

function gitSource(gitDir: string): GoSource {
	const git = (args: string[], input?: string) => execFileSync('git', ['--git-dir', gitDir, ...args], { input, maxBuffer: 256 * 1024 * 1024 });
	return {
		names: () => git(['ls-tree', '--name-only', 'HEAD']).toString('utf8').split('\n').filter((name) => name.endsWith('.go')),
		readAll: (names) => {
			// One `git cat-file --batch` for every file: each answer is "<sha> blob <size>\n<content>\n".
			const output = git(['cat-file', '--batch'], names.map((name) => `HEAD:${name}`).join('\n') + '\n');
			const files = new Map<string, string>();
			let offset = 0;
			for (const name of names) {
				const newline = output.indexOf(10, offset);
				const header = output.subarray(offset, newline).toString('utf8');
				const size = Number(/ blob (\d+)$/.exec(header)?.[1]);
				if (!Number.isFinite(size)) throw new Error(`The Go client's ${name} could not be read (${header})`);
				files.set(name, output.subarray(newline + 1, newline + 1 + size).toString('utf8'));
				offset = newline + 1 + size + 1;
			}
			return files;
		},
	};
}

function sourceAt(location: string): GoSource | undefined {
	if (!existsSync(location) || !statSync(location).isDirectory()) return undefined;
	if (existsSync(join(location, 'objects')) && existsSync(join(location, 'HEAD'))) return gitSource(location);
	if (existsSync(join(location, '.git'))) return directorySource(location);
	return readdirSync(location).some((name) => /^api_.*\.go$/.test(name)) ? directorySource(location) : undefined;
}

/** A Go field type as JSON schema: pointers dropped, NullableX allows null, other names are model references. */
function schemaOfGoType(goType: string, models: Set<string>): JsonObject {
	const type = goType.replace(/^\*/, '');
	if (type.startsWith('[]')) return { type: 'array', items: schemaOfGoType(type.slice(2), models) };
	if (type === 'map[string]string') return { type: 'object', additionalProperties: { type: 'string' } };
	// The generator's rendering of a schema declared `type: object` with no properties (PatchOperation.value,
	// CustomFieldValue.value), where ConnectWise sends and accepts any JSON value: it checks nothing.
	if (type === 'map[string]interface{}' || type === 'interface{}') return {};
	const nullable = /^Nullable(.+)$/.exec(type);
	const base = nullable ? nullable[1] : type;
	const scalar: Record<string, JsonObject> = {
		string: { type: 'string' },
		String: { type: 'string' },
		int32: { type: 'integer' },
		Int32: { type: 'integer' },
		int64: { type: 'integer' },
		Int64: { type: 'integer' },
		float32: { type: 'number' },
		Float32: { type: 'number' },
		float64: { type: 'number' },
		Float64: { type: 'number' },
		bool: { type: 'boolean' },
		Bool: { type: 'boolean' },
		'time.Time': { type: 'string', format: 'date-time' },
		Time: { type: 'string', format: 'date-time' },
	};
	if (scalar[base]) return nullable ? { ...scalar[base], type: [scalar[base].type, 'null'] } : scalar[base];
	models.add(base);
	const reference = { $ref: `#/components/schemas/${base}` };
	return nullable ? { anyOf: [reference, { type: 'null' }] } : reference;
}

/**
 * A model struct as JSON schema. The Go client's decoder requires the model's requiredProperties and refuses unknown
 * fields (DisallowUnknownFields), so the schema does too.
 */
export function modelSchema(source: string, name: string, models: Set<string>): JsonObject | undefined {
	const struct = new RegExp(`^type ${name} struct \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(source);
	if (!struct) return undefined;
	const properties: JsonObject = {};
	for (const line of struct[1].split('\n')) {
		const field = /^\t\w+ (\S+) `json:"([^",]+)(,omitempty)?"`/.exec(line);
		if (field) properties[field[2]] = schemaOfGoType(field[1], models);
	}
	const requiredList = /requiredProperties := \[\]string\{([^}]*)\}/.exec(source);
	const required = requiredList ? [...requiredList[1].matchAll(/"([^"]+)"/g)].map((match) => match[1]) : [];
	const schema: JsonObject = { type: 'object', properties };
	if (required.length) schema.required = required;
	if (source.includes('DisallowUnknownFields()')) schema.additionalProperties = false;
	return schema;
}

const METHODS: Record<string, string> = { MethodGet: 'get', MethodPost: 'post', MethodPut: 'put', MethodPatch: 'patch', MethodDelete: 'delete' };

interface GoOperation {
	template: string;
	method: string;
	queryParameters: string[];
	bodyType?: string;
	returnType?: string;
}

/** The operations of one api_*.go file: each `...Execute` function's verb, path, query parameters, body and answer. */
export function apiOperations(source: string): GoOperation[] {
	const operations: GoOperation[] = [];
	const functions = source.split(/^func \(a \*\w+APIService\) /m).slice(1);
	for (const body of functions) {
		const execute = /^(\w+)Execute\(r (\w+)\)/.exec(body);
		if (!execute) continue;
		const method = /localVarHTTPMethod\s+= http\.(\w+)/.exec(body)?.[1];
		const path = /localVarPath := localBasePath \+ "([^"]+)"/.exec(body)?.[1];
		// A few paths carry a route constraint inside their parameter (`{memberIdentifier:regex(...)}`): not a URL template.
		if (!method || !path || !METHODS[method] || !/^[\w/{}.-]+$/.test(path)) continue;
		const returnType = /localVarReturnValue\s+(\S+)/.exec(body)?.[1];
		const bodyField = /localVarPostBody = r\.(\w+)/.exec(body)?.[1];
		let bodyType: string | undefined;
		if (bodyField) {
			const requestStruct = new RegExp(`type ${execute[2]} struct \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? '';
			bodyType = new RegExp(`\\t${bodyField} (\\S+)`).exec(requestStruct)?.[1];
		}
		const queryParameters = [...body.matchAll(/parameterAddToHeaderOrQuery\(localVarQueryParams, "(\w+)"/g)].map((match) => match[1]);
		operations.push({ template: path, method: METHODS[method], queryParameters, bodyType, returnType });
	}
	return operations;
}

/** Model struct name -> the file that declares it (model_board_type.go declares BoardType). */
function modelFileIndex(names: string[]): Map<string, string> {
	const index = new Map<string, string>();
	for (const name of names) {
		const match = /^model_(.+)\.go$/.exec(name);
		if (match) index.set(match[1].replace(/_/g, '').toLowerCase(), name);
	}
	return index;
}

/**
 * The Go client as an OpenAPI-shaped document. Responses are declared as `2XX` (the client accepts any status below
 * 300 and states none), with the schema of what the client decodes. Undefined when the client is absent.
 */
export function loadGoClientDocument(location = GO_CLIENT_LOCATION): { document: JsonObject; version?: string } | undefined {
	const source = sourceAt(location);
	if (!source) return undefined;
	const names = source.names();
	const apiFiles = source.readAll(names.filter((name) => /^api_.*\.go$/.test(name)));
	const paths: Record<string, JsonObject> = {};
	const models = new Set<string>();
	let version: string | undefined;
	for (const text of apiFiles.values()) {
		version ??= /version=(\d{4}\.\d+)/.exec(text)?.[1];
		for (const operation of apiOperations(text)) {
			const entry: JsonObject = {
				parameters: operation.queryParameters.map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
				responses: { '2XX': operation.returnType ? { content: { 'application/json': { schema: schemaOfGoType(operation.returnType, models) } } } : {} },
			};
			if (operation.bodyType) entry.requestBody = { content: { 'application/json': { schema: schemaOfGoType(operation.bodyType, models) } } };
			paths[operation.template] = { ...(paths[operation.template] ?? {}), [operation.method]: entry };
		}
	}
	const index = modelFileIndex(names);
	const schemas: Record<string, JsonObject> = {};
	const done = new Set<string>();
	while (models.size > done.size) {
		const pending = [...models].filter((name) => !done.has(name));
		const files = source.readAll([...new Set(pending.map((name) => index.get(name.toLowerCase())).filter((file): file is string => file !== undefined))]);
		for (const name of pending) {
			done.add(name);
			const file = index.get(name.toLowerCase());
			const schema = file ? modelSchema(files.get(file) ?? '', name, models) : undefined;
			// A name the client declares in no model file (a generator artefact) checks nothing rather than failing.
			schemas[name] = schema ?? {};
		}
	}
	return { document: { paths, components: { schemas } }, version };
}
