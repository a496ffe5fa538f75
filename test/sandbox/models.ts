// API model versions: which model a requested version maps to, and how each model shapes the stored records.

export const MODEL_VERSIONS = ['2020.1', '2023.1', '2025.8'] as const;
export type ModelVersion = (typeof MODEL_VERSIONS)[number];

export type ResourceKind =
	| 'ticket'
	| 'note'
	| 'board'
	| 'status'
	| 'priority'
	| 'company'
	| 'contact'
	| 'member'
	| 'callback'
	| 'boardType'
	| 'boardSubType'
	| 'boardItem'
	| 'association'
	| 'team'
	| 'source'
	| 'site'
	| 'configuration'
	| 'configurationReference'
	| 'userDefinedField'
	| 'timeEntry'
	| 'workType'
	| 'workRole'
	| 'document';

/** `2024.2` -> [2024, 2]; undefined when it is not YYYY.N. */
export function parseVersion(version: string): [number, number] | undefined {
	const match = /^(\d{4})\.(\d{1,2})$/.exec(version.trim());
	return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export function compareVersions(left: string, right: string): number {
	const a = parseVersion(left) ?? [0, 0];
	const b = parseVersion(right) ?? [0, 0];
	return a[0] - b[0] || a[1] - b[1];
}

/** The version in an Accept header (`application/vnd.connectwise.com+json; version=2024.2`), if any. */
export function versionFromAccept(accept: string | undefined): string | undefined {
	if (!accept) return undefined;
	const match = /(?:^|[;,\s])version\s*=\s*"?([^;,"\s]+)"?/i.exec(accept);
	return match?.[1];
}

/**
 * The model a requested version is served with: the newest model at or below it.
 * Undefined when the version is malformed, older than the oldest model, or newer than the server.
 */
export function resolveModel(requested: string, currentVersion: string): ModelVersion | undefined {
	if (!parseVersion(requested)) return undefined;
	if (compareVersions(requested, MODEL_VERSIONS[0]) < 0 || compareVersions(requested, currentVersion) > 0) return undefined;
	let chosen: ModelVersion | undefined;
	for (const model of MODEL_VERSIONS) {
		if (compareVersions(model, requested) <= 0) chosen = model;
	}
	return chosen;
}

/** The newest model the server serves when it claims `currentVersion`. */
export function currentModel(currentVersion: string): ModelVersion {
	return resolveModel(currentVersion, currentVersion) ?? MODEL_VERSIONS[MODEL_VERSIONS.length - 1];
}

const isBefore = (model: ModelVersion, version: ModelVersion) => compareVersions(model, version) < 0;

/**
 * A copy of a stored record as the given model shows it. The stored form is the 2025.8 model; older models
 * lack the fields added since (Ticket.customerUpdatedFlag and ServiceNote.sentimentScore in 2025.8,
 * Member.primaryEmail in 2023.1) and 2020.1 calls BoardStatus.closedStatus `closedFlag`.
 */
export function shapeRecord<T extends object>(kind: ResourceKind, record: T, model: ModelVersion): Record<string, unknown> {
	const shaped = structuredClone(record) as Record<string, unknown>;
	if (isBefore(model, '2025.8')) {
		if (kind === 'ticket') delete shaped.customerUpdatedFlag;
		if (kind === 'note') delete shaped.sentimentScore;
	}
	if (isBefore(model, '2023.1')) {
		if (kind === 'member') delete shaped.primaryEmail;
		if (kind === 'status') {
			shaped.closedFlag = shaped.closedStatus;
			delete shaped.closedStatus;
		}
	}
	return shaped;
}

const auditFields = ['_info', 'lastUpdated', 'updatedBy', 'dateEntered', 'enteredBy'];

/** The fields each resource has in the 2025.8 model (what conditions, orderBy and fields may name). */
const currentFields: Record<ResourceKind, string[]> = {
	ticket: [
		'id', 'summary', 'recordType', 'board', 'status', 'company', 'contact', 'contactName', 'contactEmailAddress', 'owner',
		'priority', 'severity', 'impact', 'externalXRef', 'closedFlag', 'closedDate', 'closedBy', 'customerUpdatedFlag',
		'mergedParentTicket', 'type', 'subType', 'item', 'team', 'source', 'site', 'requiredDate', 'customFields',
	],
	note: [
		'id', 'ticketId', 'text', 'detailDescriptionFlag', 'internalAnalysisFlag', 'resolutionFlag', 'issueFlag', 'member',
		'contact', 'customerUpdatedFlag', 'processNotifications', 'dateCreated', 'createdBy', 'internalFlag', 'externalFlag',
		'sentimentScore',
	],
	board: ['id', 'name', 'location', 'department', 'inactiveFlag', 'projectFlag'],
	status: [
		'id', 'name', 'board', 'sortOrder', 'displayOnBoard', 'inactive', 'closedStatus', 'timeEntryNotAllowed', 'defaultFlag',
		'escalationStatus', 'customerPortalFlag',
	],
	priority: ['id', 'name', 'color', 'sortOrder', 'defaultFlag', 'level'],
	company: ['id', 'identifier', 'name', 'status', 'city', 'phoneNumber', 'website', 'deletedFlag', 'types'],
	contact: [
		'id', 'firstName', 'lastName', 'company', 'inactiveFlag', 'title', 'defaultPhoneType', 'defaultPhoneNbr',
		'communicationItems',
	],
	member: [
		'id', 'identifier', 'firstName', 'lastName', 'officeEmail', 'primaryEmail', 'defaultEmail', 'defaultPhone',
		'inactiveFlag', 'licenseClass', 'hireDate', 'title', 'securityRole',
	],
	callback: [
		'id', 'description', 'url', 'objectId', 'type', 'level', 'memberId', 'payloadVersion', 'inactiveFlag',
		'isSoapCallbackFlag', 'isSelfSuppressedFlag',
	],
	boardType: ['id', 'name', 'category', 'defaultFlag', 'inactiveFlag', 'requestForChangeFlag', 'board'],
	boardSubType: ['id', 'name', 'inactiveFlag', 'typeAssociationIds', 'board'],
	boardItem: ['id', 'name', 'inactiveFlag', 'board'],
	association: ['id', 'type', 'subType', 'item', 'board'],
	team: ['id', 'name', 'teamLeader', 'members', 'defaultFlag', 'notifyOnTicketDelete', 'boardId', 'locationId', 'businessUnitId'],
	source: ['id', 'name', 'defaultFlag', 'enteredBy', 'dateEntered'],
	site: [
		'id', 'name', 'addressLine1', 'city', 'zip', 'phoneNumber', 'primaryAddressFlag', 'defaultShippingFlag', 'defaultBillingFlag',
		'defaultMailingFlag', 'inactiveFlag', 'company',
	],
	configuration: [
		'id', 'name', 'type', 'status', 'company', 'site', 'deviceIdentifier', 'serialNumber', 'modelNumber', 'macAddress', 'ipAddress',
		'osType', 'activeFlag', 'billFlag',
	],
	configurationReference: ['id', 'deviceIdentifier'],
	timeEntry: [
		'id', 'chargeToId', 'chargeToType', 'member', 'timeStart', 'timeEnd', 'actualHours', 'billableOption', 'notes', 'internalNotes',
		'workType', 'workRole',
	],
	workType: ['id', 'name', 'inactiveFlag'],
	workRole: ['id', 'name', 'inactiveFlag'],
	document: ['id', 'title', 'fileName', 'serverFileName', 'owner', 'linkFlag', 'imageFlag', 'publicFlag', 'htmlTemplateFlag', 'readOnlyFlag', 'size', 'urlFlag', 'createdOnCloudFlag', 'guid', 'documentType', 'recordType', 'recordId'],
	userDefinedField: [
		'id', 'podId', 'caption', 'sequenceNumber', 'screenId', 'helpText', 'fieldTypeIdentifier', 'numberDecimals', 'entryTypeIdentifier',
		'requiredFlag', 'displayOnScreenFlag', 'readOnlyFlag', 'listViewFlag', 'options', 'dateCreated',
	],
};

/** The top-level field names a model knows for a resource; anything else in conditions is a 400. */
export function knownFields(kind: ResourceKind, model: ModelVersion): Set<string> {
	const fields = new Set([...currentFields[kind], ...auditFields]);
	if (isBefore(model, '2025.8')) {
		if (kind === 'ticket') fields.delete('customerUpdatedFlag');
		if (kind === 'note') fields.delete('sentimentScore');
	}
	if (isBefore(model, '2023.1')) {
		if (kind === 'member') fields.delete('primaryEmail');
		if (kind === 'status') {
			fields.delete('closedStatus');
			fields.add('closedFlag');
		}
	}
	return fields;
}
