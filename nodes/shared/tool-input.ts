// What a model gives a tool, made usable before the operation reads it: numbers as text, names where ids are expected (through the dropdowns' own lists), enum values in any case.
import {
	NodeHelpers,
	type IDataObject,
	type IExecuteFunctions,
	type INodeParameters,
	type INodeProperties,
	type INodePropertyCollection,
	type INodePropertyOptions,
} from 'n8n-workflow';
import { PsaError } from '../../lib/providers/errors';
import type { PsaChoice, PsaProvider } from '../../lib/providers/types';
import { pick, type ResolvedName } from '../../lib/services/ticket-fields';
import { choiceLists } from './methods';

/** The node's functions as the operation sees them (parameters checked and resolved) and what names were resolved to. */
export interface ToolInput {
	fns: IExecuteFunctions;
	resolved: ResolvedName[];
}

interface LocatorValue {
	__rl: true;
	mode: string;
	value: unknown;
	[key: string]: unknown;
}

const isLocator = (value: unknown): value is LocatorValue => typeof value === 'object' && value !== null && (value as { __rl?: unknown }).__rl === true;
const isNumeric = (text: string) => /^-?\d+(\.\d+)?$/.test(text);
const invalid = (message: string, field: string, hint: string) => new PsaError('invalid-input', message, { field, hint });

/** Searchable lists (resource locators) whose records a model may name instead of giving the id. */
const searchedLists: Record<string, (provider: PsaProvider, search: string) => Promise<Array<PsaChoice & { identifier?: string }>>> = {
	searchCompanies: (provider, search) => provider.listCompanies({ search, limit: 100 }),
	searchBoards: (provider, search) => provider.listBoards({ search }),
	searchMembers: (provider, search) => provider.listMembers({ search, limit: 100 }),
};

class ToolInputReader {
	readonly values = new Map<string, unknown>();
	readonly resolved: ResolvedName[] = [];

	constructor(
		private readonly fns: IExecuteFunctions,
		private readonly itemIndex: number,
		private readonly provider: PsaProvider,
	) {}

	/** A number among the parameters already read (checked values first), for a list that depends on it. */
	numberOf(names: string[]): number | undefined {
		for (const name of names) {
			const [root, ...rest] = name.split('.');
			let value: unknown = this.values.has(root) ? this.values.get(root) : undefined;
			for (const key of rest) value = typeof value === 'object' && value !== null ? (value as IDataObject)[key] : undefined;
			if (isLocator(value)) value = value.value;
			const id = Number(typeof value === 'string' ? value.trim() : value);
			if (value !== '' && value !== null && Number.isSafeInteger(id) && id > 0) return id;
		}
		return undefined;
	}

	async read(property: INodeProperties): Promise<void> {
		let raw: unknown;
		try {
			raw = this.fns.getNodeParameter(property.name, this.itemIndex, undefined, { extractValue: false });
		} catch {
			return;
		}
		this.values.set(property.name, await this.check(property, raw, property.displayName));
	}

	private async check(property: INodeProperties, value: unknown, label: string): Promise<unknown> {
		if (value === undefined || value === null) return value;
		switch (property.type) {
			case 'number':
				return numberOf(value, label, property.name);
			case 'boolean':
				return booleanOf(value, label, property.name);
			case 'options':
				return this.option(property, value, label);
			case 'multiOptions':
				return Array.isArray(value) ? Promise.all(value.map((entry) => this.option(property, entry, label))) : this.option(property, value, label);
			case 'resourceLocator':
				return this.locator(property, value, label);
			case 'collection':
				return this.fields(property.options as INodeProperties[], value, label);
			case 'fixedCollection':
				return this.groups(property.options as INodePropertyCollection[], value, label);
			default:
				return value;
		}
	}

	private async fields(definitions: INodeProperties[], value: unknown, label: string): Promise<unknown> {
		if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
		const checked: IDataObject = {};
		for (const [key, entry] of Object.entries(value)) {
			const definition = definitions.find((candidate) => candidate.name === key);
			checked[key] = (definition ? await this.check(definition, entry, `${label} > ${definition.displayName}`) : entry) as IDataObject[string];
		}
		return checked;
	}

	private async groups(groups: INodePropertyCollection[], value: unknown, label: string): Promise<unknown> {
		if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
		const checked: IDataObject = {};
		for (const [key, entry] of Object.entries(value)) {
			const group = groups.find((candidate) => candidate.name === key);
			if (!group) checked[key] = entry as IDataObject[string];
			else if (Array.isArray(entry)) checked[key] = (await Promise.all(entry.map((row) => this.fields(group.values, row, `${label} > ${group.displayName}`)))) as IDataObject[];
			else checked[key] = (await this.fields(group.values, entry, `${label} > ${group.displayName}`)) as IDataObject;
		}
		return checked;
	}

	/** An options value: a fixed list matched without regard to case (by value or by name); a PSA list resolved by name. */
	private async option(property: INodeProperties, value: unknown, label: string): Promise<unknown> {
		const method = property.typeOptions?.loadOptionsMethod;
		if (typeof method === 'string' && Object.hasOwn(choiceLists, method)) {
			return this.choice(value, label, property.name, () => choiceLists[method](this.provider, (names) => this.numberOf(names)));
		}
		const options = (property.options ?? []) as INodePropertyOptions[];
		if (options.length === 0 || options.some((option) => option.value === value)) return value;
		const text = String(value).trim().toLowerCase();
		const matches = options.filter((option) => String(option.value).toLowerCase() === text || option.name.toLowerCase() === text);
		const values = [...new Set(matches.map((option) => option.value))];
		if (values.length === 1) return values[0];
		const listed = options.map((option) => `"${String(option.value)}" (${option.name})`).join(', ');
		if (values.length > 1) throw invalid(`${label}: "${String(value)}" matches ${values.length} choices`, property.name, `Use one of: ${listed}.`);
		throw invalid(`${label}: "${String(value)}" is not one of the valid choices`, property.name, `Use one of: ${listed}.`);
	}

	/** An id as is (a number, or digits as text); a name resolved through the list, with candidates when it is ambiguous. */
	private async choice(value: unknown, label: string, field: string, list: () => Promise<PsaChoice[]>): Promise<unknown> {
		if (typeof value === 'number') return value;
		if (typeof value !== 'string' || value.trim() === '') return value;
		const text = value.trim();
		if (/^\d+$/.test(text)) return Number(text);
		const chosen = pick(await list(), text, label);
		this.resolved.push({ field, given: text, id: chosen.id, name: chosen.name });
		return chosen.id;
	}

	/** A locator's value: "#123" is ticket 123, an address goes by URL, a name is looked up in the locator's search list. */
	private async locator(property: INodeProperties, value: unknown, label: string): Promise<unknown> {
		const locator: LocatorValue = isLocator(value) ? { ...value } : { __rl: true, mode: 'id', value };
		let text = typeof locator.value === 'number' ? String(locator.value) : typeof locator.value === 'string' ? locator.value.trim() : undefined;
		if (text === undefined || text === '') return locator;
		if (/^https?:\/\//i.test(text)) return { ...locator, mode: 'url', value: text };
		if (/^#\s*\d+$/.test(text)) text = text.replace(/^#\s*/, '');
		if (/^\d+$/.test(text)) return { ...locator, mode: locator.mode === 'url' ? 'id' : locator.mode, value: text };
		const searchMethod = property.modes?.find((mode) => mode.name === 'list')?.typeOptions?.searchListMethod;
		if (typeof searchMethod !== 'string' || !Object.hasOwn(searchedLists, searchMethod)) return { ...locator, value: text };
		const records = await searchedLists[searchMethod](this.provider, text);
		const byIdentifier = records.filter((record) => record.identifier?.toLowerCase() === text.toLowerCase());
		const chosen = byIdentifier.length === 1 ? byIdentifier[0] : pick(records, text, label);
		this.resolved.push({ field: property.name, given: text, id: chosen.id, name: chosen.name });
		return { ...locator, mode: 'id', value: String(chosen.id) };
	}
}

function numberOf(value: unknown, label: string, field: string): unknown {
	if (typeof value !== 'string') return value;
	const text = value.trim();
	if (text === '') return value;
	if (isNumeric(text)) return Number(text);
	throw invalid(`${label} must be a number, got "${value}"`, field, `Give ${label} as a number, e.g. 42.`);
}

function booleanOf(value: unknown, label: string, field: string): unknown {
	if (typeof value !== 'string') return value;
	const text = value.trim().toLowerCase();
	if (text === 'true' || text === 'false') return text === 'true';
	throw invalid(`${label} must be true or false, got "${value}"`, field, `Give ${label} as true or false.`);
}

/** The value at a dotted path below a parameter's checked value. */
function valueAt(value: unknown, path: string[]): unknown {
	let current = value;
	for (const key of path) current = typeof current === 'object' && current !== null ? (current as IDataObject)[key] : undefined;
	return current;
}

/**
 * Reads and checks every parameter the operation shows, in order (so a list that depends on a board sees the board's
 * id even when the model named it), and returns the node's functions with getNodeParameter answering from the checked
 * values for this item. Bad input is refused here, before the operation sends anything.
 */
export async function prepareToolInput(
	fns: IExecuteFunctions,
	itemIndex: number,
	provider: PsaProvider,
	properties: INodeProperties[],
	operation: string,
): Promise<ToolInput> {
	const node = fns.getNode();
	// Exported workflows leave out parameters at their defaults: fill them in before asking which parameters show (the
	// selectors that decide it take no expression, so their stored values are final).
	const defaults = Object.fromEntries(properties.map((property) => [property.name, property.default])) as INodeParameters;
	const shownValues: INodeParameters = { ...defaults, ...node.parameters, operation };
	const reader = new ToolInputReader(fns, itemIndex, provider);
	for (const property of properties) {
		if (reader.values.has(property.name) || !NodeHelpers.displayParameter(shownValues, property, node, null)) continue;
		await reader.read(property);
	}
	const getNodeParameter = ((name: string, index: number, fallback?: unknown, options?: { extractValue?: boolean }) => {
		const [root, ...path] = name.split('.');
		if (index !== itemIndex || !reader.values.has(root)) return fns.getNodeParameter(name, index, fallback as never, options);
		const value = valueAt(reader.values.get(root), path);
		if (value === undefined) return fns.getNodeParameter(name, index, fallback as never, options);
		return options?.extractValue && isLocator(value) ? value.value : value;
	}) as IExecuteFunctions['getNodeParameter'];
	const checked = new Proxy(fns, {
		get(target, property) {
			if (property === 'getNodeParameter') return getNodeParameter;
			const value = Reflect.get(target, property, target) as unknown;
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
	return { fns: checked, resolved: reader.resolved };
}
