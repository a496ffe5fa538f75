// Autotask ticket UDFs: definitions from Tickets/entityInformation/userDefinedFields (cached per connection), and values by name checked against them before a write.
import type { PsaCache } from '../../cache';
import { customFieldNamed, customFieldValue } from '../custom-fields';
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

/** Values by name into the `userDefinedFields` a create or update sends; an unknown name or a value its definition refuses is an invalid-input error. */
export function udfWrites(definitions: AutotaskUdf[], values: Record<string, PsaCustomFieldValue>): UdfWrite[] {
	if (!isObject(values)) throw new PsaError('invalid-input', 'Custom fields must be given as an object of name: value', { field: 'customFields' });
	return Object.entries(values).map(([name, value]) => {
		const definition = customFieldNamed(definitions, name, 'Autotask') as AutotaskUdf;
		if (definition.readOnly) throw new PsaError('invalid-input', `The Autotask ticket custom field '${definition.name}' is read-only`, { field: definition.name });
		return { name: definition.name, value: udfText(definition, value) };
	});
}

/** One value as the text Autotask keeps for the UDF, checked against its definition by the shared rules (custom-fields.ts). */
export function udfText(definition: PsaCustomFieldDefinition, value: unknown): string | null {
	const checked = customFieldValue(definition, value);
	return checked === null ? null : String(checked);
}
