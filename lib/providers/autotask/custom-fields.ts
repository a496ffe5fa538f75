// Autotask ticket UDFs: definitions from Tickets/entityInformation/userDefinedFields (cached per connection), and values by name checked against them before a write.
import type { PsaCache } from '../../cache';
import { PsaError } from '../errors';
import type { PsaCustomFieldDefinition, PsaCustomFieldType, PsaCustomFieldValue } from '../types';
import { isObject } from '../values';
import type { AutotaskClient } from './client';
import { fieldOf, idOf } from './read';

const DEFINITIONS_TTL_MS = 60 * 60 * 1000;

/** A UDF definition with what only the adapter needs: whether Autotask lets it be written. */
export interface AutotaskUdf extends PsaCustomFieldDefinition {
	readOnly: boolean;
}

/** One entry of the `userDefinedFields` array a create or update sends; Autotask keeps every UDF value as text. */
export interface UdfWrite {
	name: string;
	value: string | null;
}

/** Autotask's UDF `type` words: the captured tenant shows "string" and "datetime"; the number words are read tolerantly. */
function typeOf(type: unknown, picklist: boolean): PsaCustomFieldType {
	if (picklist) return 'picklist';
	const word = String(type ?? '').toLowerCase();
	if (word === 'datetime') return 'datetime';
	if (word === 'date') return 'date';
	if (['decimal', 'double', 'integer', 'long', 'number', 'currency', 'float', 'int'].includes(word)) return 'number';
	if (word === 'boolean' || word === 'bool') return 'boolean';
	return 'text';
}

function readDefinition(raw: Record<string, unknown>): AutotaskUdf | undefined {
	const name = fieldOf(raw, 'name');
	if (typeof name !== 'string' || !name) return undefined;
	const values = Array.isArray(fieldOf(raw, 'picklistValues')) ? (fieldOf(raw, 'picklistValues') as unknown[]) : [];
	const picklist = fieldOf(raw, 'isPickList') === true;
	const type = typeOf(fieldOf(raw, 'type') ?? fieldOf(raw, 'dataType'), picklist);
	const definition: AutotaskUdf = { name, type, required: fieldOf(raw, 'isRequired') === true, readOnly: fieldOf(raw, 'isReadOnly') === true };
	if (picklist) {
		definition.picklist = values
			.filter((entry): entry is Record<string, unknown> => isObject(entry) && fieldOf(entry, 'isActive') !== false && fieldOf(entry, 'value') !== undefined)
			.map((entry) => ({ value: String(fieldOf(entry, 'value')), label: String(fieldOf(entry, 'label') ?? fieldOf(entry, 'value')) }));
	}
	const length = idOf(fieldOf(raw, 'length'));
	if (type === 'text' && length !== undefined && length > 0) definition.maxLength = length;
	const decimals = idOf(fieldOf(raw, 'numberOfDecimalPlaces'));
	if (type === 'number' && decimals !== undefined) definition.decimals = decimals;
	if (fieldOf(raw, 'isActive') === false) definition.inactive = true;
	return definition;
}

/** The tenant's ticket UDFs, from one request cached an hour per connection. */
export function customFieldDefinitionsOf(client: AutotaskClient, cache: PsaCache, connectionId: string): Promise<AutotaskUdf[]> {
	const path = '/Tickets/entityInformation/userDefinedFields';
	return cache.getOrLoad(
		connectionId,
		'udfs:Tickets',
		async () => {
			const body = await client.request({ method: 'GET', path });
			const fields = isObject(body) && Array.isArray(body.fields) ? body.fields : undefined;
			if (!fields) throw new PsaError('unavailable', `Autotask answered GET ${path} without a fields list`, { request: `GET ${path}` });
			return fields.filter(isObject).map(readDefinition).filter((definition): definition is AutotaskUdf => definition !== undefined);
		},
		DEFINITIONS_TTL_MS,
	);
}

/** Definitions as the provider interface hands them out. */
export function publicDefinitions(definitions: AutotaskUdf[]): PsaCustomFieldDefinition[] {
	return definitions.map(({ readOnly: _readOnly, ...definition }) => definition);
}

/** The definition a name means: exact first, else the one that matches ignoring case. */
export function definitionNamed(definitions: AutotaskUdf[], name: string): AutotaskUdf | undefined {
	return definitions.find((definition) => definition.name === name) ?? definitions.find((definition) => definition.name.toLowerCase() === String(name).toLowerCase());
}

export function unknownCustomField(definitions: AutotaskUdf[], name: string): PsaError {
	const known = definitions.map((definition) => definition.name).join(', ') || '(none)';
	return new PsaError('invalid-input', `Autotask has no ticket custom field '${name}'; its ticket custom fields are: ${known}`, {
		field: name,
		hint: 'Use a name from the list (as shown in Autotask > Admin > User-Defined Fields)',
	});
}

/** Values by name into the `userDefinedFields` a create or update sends; an unknown name or a value its definition refuses is an invalid-input error. */
export function udfWrites(definitions: AutotaskUdf[], values: Record<string, PsaCustomFieldValue>): UdfWrite[] {
	if (!isObject(values)) throw new PsaError('invalid-input', 'Custom fields must be given as an object of name: value', { field: 'customFields' });
	return Object.entries(values).map(([name, value]) => {
		const definition = definitionNamed(definitions, name);
		if (!definition) throw unknownCustomField(definitions, name);
		if (definition.readOnly) throw new PsaError('invalid-input', `The Autotask ticket custom field '${definition.name}' is read-only`, { field: definition.name });
		return { name: definition.name, value: udfText(definition, value) };
	});
}

/** One value as the text Autotask keeps for the UDF. */
export function udfText(definition: PsaCustomFieldDefinition, value: unknown): string | null {
	const refuse = (expected: string) =>
		new PsaError('invalid-input', `The Autotask ticket custom field '${definition.name}' takes ${expected}; got ${JSON.stringify(value)}`, { field: definition.name });
	if (value === null || value === undefined || value === '') {
		if (definition.required) throw refuse('a value (it is required)');
		return null;
	}
	if (typeof value === 'object') throw refuse(`a ${definition.type} value`);
	switch (definition.type) {
		case 'picklist': {
			const text = String(value);
			const choices = definition.picklist ?? [];
			const labelled = choices.filter((choice) => choice.label.toLowerCase() === text.toLowerCase());
			const match = choices.find((choice) => choice.value === text) ?? (labelled.length === 1 ? labelled[0] : undefined);
			if (!match) throw refuse(`one of ${choices.map((choice) => (choice.label === choice.value ? choice.value : `${choice.value} (${choice.label})`)).join(', ') || '(no active values)'}`);
			return match.value;
		}
		case 'number': {
			const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
			if (!Number.isFinite(number)) throw refuse('a number');
			return String(number);
		}
		case 'boolean':
			if (value === true || value === 'true') return 'true';
			if (value === false || value === 'false') return 'false';
			throw refuse('true or false');
		case 'date':
		case 'datetime': {
			const text = String(value);
			const time = typeof value === 'string' ? Date.parse(/T/.test(text) && !/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? `${text}Z` : text) : NaN;
			if (!Number.isFinite(time)) throw refuse('an ISO 8601 date, e.g. 2026-03-21T09:00:00Z');
			const iso = new Date(time).toISOString();
			return definition.type === 'date' ? iso.slice(0, 10) : iso;
		}
		default: {
			const text = String(value);
			if (definition.maxLength !== undefined && text.length > definition.maxLength) {
				throw refuse(`at most ${definition.maxLength} characters (this value has ${text.length})`);
			}
			return text;
		}
	}
}
