// How clients name a record in a request body: a reference by id, name or identifier, read the way ConnectWise reads it (text compared without regard to case).

export function asObject(value: unknown): Record<string, unknown> | undefined {
	return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export const sameText = (left: unknown, right: unknown) =>
	typeof left === 'string' && typeof right === 'string' && left.toLowerCase() === right.toLowerCase();

/** A `{id}` / `{name}` / `{identifier}` reference as clients send it, or a bare id / name. */
export interface ReferenceRequest {
	id?: number;
	name?: string;
	identifier?: string;
}

export function readReference(value: unknown): ReferenceRequest | undefined {
	if (typeof value === 'number') return { id: value };
	if (typeof value === 'string') return /^\d+$/.test(value) ? { id: Number(value) } : { name: value };
	const object = asObject(value);
	if (!object) return undefined;
	const reference: ReferenceRequest = {};
	if (typeof object.id === 'number') reference.id = object.id;
	else if (typeof object.id === 'string' && /^\d+$/.test(object.id)) reference.id = Number(object.id);
	if (typeof object.name === 'string') reference.name = object.name;
	if (typeof object.identifier === 'string') reference.identifier = object.identifier;
	return reference.id === undefined && reference.name === undefined && reference.identifier === undefined ? undefined : reference;
}

export function describeReference(reference: ReferenceRequest): string {
	return reference.id !== undefined ? `id ${reference.id}` : `'${reference.identifier ?? reference.name}'`;
}

