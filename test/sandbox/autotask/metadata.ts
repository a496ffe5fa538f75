// The Autotask sandbox's schema: entityInformation/fields objects, picklists and webhook field ids, shaped as the real API answers.

export interface PicklistValue {
	/** Always a string on the wire, even for integer fields (contract §2). */
	value: string;
	label: string;
	isDefaultValue: boolean;
	sortOrder: number;
	parentValue: string;
	isActive: boolean;
	isSystem: boolean;
}

export interface FieldInfo {
	name: string;
	dataType: 'string' | 'integer' | 'long' | 'decimal' | 'boolean' | 'datetime';
	length: number;
	isRequired: boolean;
	isReadOnly: boolean;
	isQueryable: boolean;
	isReference: boolean;
	referenceEntityType: string;
	isPickList: boolean;
	picklistValues: PicklistValue[] | null;
	picklistParentValueField: string;
	isSupportedWebhookField: boolean;
}

/** One user-defined field definition as entityInformation/userDefinedFields answers it (note `type`, not `dataType`; §2). */
export interface UdfInfo {
	name: string;
	label: string;
	type: string;
	length: number;
	description: string | null;
	isRequired: boolean;
	isReadOnly: boolean;
	isQueryable: boolean;
	isReference: boolean;
	referenceEntityType: string | null;
	isPickList: boolean;
	picklistValues: PicklistValue[] | null;
	picklistParentValueField: string | null;
	defaultValue: string;
	isSupportedWebhookField: boolean;
}

function udf(name: string, type: string, options: { length?: number; picklist?: PicklistValue[]; required?: boolean } = {}): UdfInfo {
	return {
		name,
		label: name,
		type,
		length: options.length ?? 0,
		description: null,
		isRequired: options.required ?? false,
		isReadOnly: false,
		isQueryable: true,
		isReference: false,
		referenceEntityType: null,
		isPickList: options.picklist !== undefined,
		picklistValues: options.picklist ?? null,
		picklistParentValueField: null,
		defaultValue: '',
		isSupportedWebhookField: false,
	};
}

/**
 * Authored ticket UDFs in the kinds the captured tenant shows (a datetime; a `string` picklist whose values are words
 * and differ from their labels; free text of 8000), and a number field, whose `type` word ("decimal") it does not show.
 */
export function seedUserDefinedFields(): UdfInfo[] {
	return [
		udf('Agreed Start Date', 'datetime'),
		udf('Escalation Stage', 'string', { length: 8000, picklist: picklist([['triage', 'Triaged', 0], ['escalated', 'Escalated', 1], ['handover', 'Handed Over', 2]]) }),
		udf('Monitoring Alert ID', 'string', { length: 8000 }),
		udf('Affected Users', 'decimal'),
	];
}

interface FieldOptions {
	length?: number;
	required?: boolean;
	readOnly?: boolean;
	queryable?: boolean;
	reference?: string;
	picklist?: PicklistValue[];
	/** The picklist whose value each of this picklist's values names as its `parentValue` (subIssueType: IssueType). */
	parentField?: string;
	webhook?: boolean;
}

function field(name: string, dataType: FieldInfo['dataType'], options: FieldOptions = {}): FieldInfo {
	return {
		name,
		dataType,
		length: options.length ?? 0,
		isRequired: options.required ?? false,
		isReadOnly: options.readOnly ?? false,
		isQueryable: options.queryable ?? true,
		isReference: options.reference !== undefined,
		referenceEntityType: options.reference ?? '',
		isPickList: options.picklist !== undefined,
		picklistValues: options.picklist ?? null,
		picklistParentValueField: options.parentField ?? '',
		isSupportedWebhookField: options.webhook ?? false,
	};
}

/** [value, label, sortOrder, flags, parent value]: d = default, i = inactive, s = system. */
type PickRow = [number | string, string, number, string?, (number | string)?];

export function picklist(rows: PickRow[]): PicklistValue[] {
	return rows.map(([value, label, sortOrder, flags = '', parent = '']) => ({
		value: String(value),
		label,
		isDefaultValue: flags.includes('d'),
		sortOrder,
		parentValue: String(parent),
		isActive: !flags.includes('i'),
		isSystem: flags.includes('s'),
	}));
}

/**
 * Authored seed picklists (tenant configuration, so they are ours, not the fixture's). Unlike the captured tenant,
 * priority 2 Medium is marked default here so clients that pick "the default priority" have one to find.
 */
export function seedPicklists(): Record<string, Record<string, PicklistValue[]>> {
	return {
		Tickets: {
			status: picklist([[1, 'New', 1, 'ds'], [5, 'Complete', 26, 's'], [7, 'Waiting Customer', 8, 's'], [8, 'In Progress', 4], [9, 'Waiting Materials', 21, 'i']]),
			priority: picklist([[1, 'Critical', 5], [2, 'Medium', 2, 'd'], [3, 'Low', 1], [5, 'High', 3]]),
			queueID: picklist([[5, 'Client Portal', 0, 's'], [8, 'Monitoring Alert', 2, 's'], [29683325, 'Helpdesk Queue', 4], [29688789, 'Recurring Service call tickets', 5, 'i']]),
			source: picklist([[-2, 'Insourced', 2, 's'], [-1, 'Client Portal', 1, 's'], [1, 'Other', 3, 's'], [2, 'Phone', 4, 's'], [4, 'Email', 6, 's'], [8, 'Monitoring Alert', 7, 's']]),
			ticketType: picklist([[1, 'Service Request', 1, 'ds'], [2, 'Incident', 2, 's'], [3, 'Problem', 3, 's'], [4, 'Change Request', 4, 's'], [5, 'Alert', 5, 's']]),
			// Issue types and their sub-issue types: each sub-issue type names its issue type in parentValue (§5.1). Two
			// sub-issue types share the name "Other", as names repeat under different issue types in real tenants.
			issueType: picklist([[10, 'Hardware', 1], [11, 'Network', 2], [12, 'Software', 3], [13, 'Retired Category', 4, 'i']]),
			subIssueType: picklist([
				[101, 'Server', 0, '', 10],
				[102, 'Workstation', 0, '', 10],
				[103, 'Printer', 0, 'i', 10],
				[104, 'Other', 0, '', 10],
				[111, 'Firewall', 0, '', 11],
				[112, 'Switch', 0, '', 11],
				[113, 'Other', 0, '', 11],
				[121, 'Line of Business App', 0, '', 12],
				[131, 'Legacy', 0, 'i', 13],
			]),
			creatorType: picklist([[1, 'Resource', 0, 's'], [2, 'Contact', 1, 's']]),
			lastActivityPersonType: picklist([[1, 'Resource', 0, 's'], [2, 'Contact', 1, 's']]),
		},
		TicketNotes: {
			noteType: picklist([[1, 'Task Summary', 1, 's'], [2, 'Task Detail', 2, 's'], [3, 'Task Notes', 3, 's']]),
			publish: picklist([[1, 'All Autotask Users', 1, 's'], [2, 'Internal Only', 2, 's'], [4, 'Internal & Co-Managed', 3, 's']]),
		},
		Resources: {
			licenseType: picklist([[1, 'Administrator', 1, 's'], [3, 'Professional', 3, 's'], [7, 'API User', 7, 's']]),
			resourceType: picklist([['Contractor', 'Contractor', 1, 's'], ['Employee', 'Employee', 2, 's']]),
		},
		Companies: {
			companyType: picklist([[1, 'Customer', 1, 's'], [2, 'Lead', 2, 's'], [3, 'Prospect', 3, 's'], [4, 'Dead', 4, 's'], [6, 'Cancellation', 6, 's'], [7, 'Vendor', 7, 's'], [8, 'Partner', 8, 's']]),
		},
	};
}

/** Standard Ticket webhook field ids (the real `fieldID` picklist) → PascalCase payload name and the ticket property. */
export const TICKET_WEBHOOK_FIELDS: Record<number, { name: string; property: string }> = {
	1: { name: 'CompanyID', property: 'companyID' },
	2: { name: 'Title', property: 'title' },
	3: { name: 'ContactID', property: 'contactID' },
	4: { name: 'Description', property: 'description' },
	5: { name: 'Status', property: 'status' },
	6: { name: 'Priority', property: 'priority' },
	7: { name: 'Source', property: 'source' },
	11: { name: 'AssignedResourceID', property: 'assignedResourceID' },
	12: { name: 'DueDateTime', property: 'dueDateTime' },
	14: { name: 'QueueID', property: 'queueID' },
	17: { name: 'AssignedResourceRoleID', property: 'assignedResourceRoleID' },
	18: { name: 'IssueType', property: 'issueType' },
	19: { name: 'SubIssueType', property: 'subIssueType' },
	20: { name: 'ConfigurationItemID', property: 'configurationItemID' },
	22: { name: 'TicketType', property: 'ticketType' },
	23: { name: 'CompanyLocationID', property: 'companyLocationID' },
	31: { name: 'ExternalID', property: 'externalID' },
	41: { name: 'CompletedDate', property: 'completedDate' },
	49: { name: 'LastActivityDate', property: 'lastActivityDate' },
	56: { name: 'Resolution', property: 'resolution' },
	85: { name: 'TicketNumber', property: 'ticketNumber' },
	87: { name: 'TicketCreateDate', property: 'createDate' },
	89: { name: 'CreatorResourceID', property: 'creatorResourceID' },
	91: { name: 'ImpersonatorCreatorResourceID', property: 'impersonatorCreatorResourceID' },
};

const WEBHOOK_PROPERTIES = new Set(Object.values(TICKET_WEBHOOK_FIELDS).map((entry) => entry.property));

/** Field definitions per entity; picklist fields get their values from the db's picklists at answer time. */
export function entityFields(picklists: Record<string, Record<string, PicklistValue[]>>): Record<string, FieldInfo[]> {
	const pick = (entity: string, name: string) => picklists[entity]?.[name] ?? [];
	const ticket = (name: string, dataType: FieldInfo['dataType'], options: FieldOptions = {}) =>
		field(name, dataType, { ...options, webhook: WEBHOOK_PROPERTIES.has(name) });
	return {
		Tickets: [
			ticket('id', 'long', { required: true, readOnly: true }),
			ticket('assignedResourceID', 'integer', { reference: 'Resource' }),
			ticket('assignedResourceRoleID', 'integer', { reference: 'Role' }),
			ticket('companyID', 'integer', { required: true, reference: 'Company' }),
			ticket('companyLocationID', 'integer', { reference: 'CompanyLocation' }),
			ticket('completedByResourceID', 'integer', { readOnly: true, reference: 'Resource' }),
			ticket('completedDate', 'datetime', { readOnly: true }),
			ticket('configurationItemID', 'integer', { reference: 'ConfigurationItem' }),
			ticket('contactID', 'integer', { reference: 'Contact' }),
			ticket('createDate', 'datetime', { readOnly: true }),
			ticket('creatorResourceID', 'integer', { readOnly: true, reference: 'Resource' }),
			ticket('creatorType', 'integer', { readOnly: true, queryable: false, picklist: pick('Tickets', 'creatorType') }),
			ticket('description', 'string', { length: 8000 }),
			ticket('dueDateTime', 'datetime'),
			ticket('externalID', 'string', { length: 50 }),
			ticket('impersonatorCreatorResourceID', 'integer', { readOnly: true, reference: 'Resource' }),
			ticket('issueType', 'integer', { picklist: pick('Tickets', 'issueType') }),
			ticket('lastActivityDate', 'datetime', { readOnly: true }),
			ticket('lastActivityPersonType', 'integer', { readOnly: true, queryable: false, picklist: pick('Tickets', 'lastActivityPersonType') }),
			ticket('lastActivityResourceID', 'integer', { readOnly: true, reference: 'Resource' }),
			ticket('lastTrackedModificationDateTime', 'datetime', { readOnly: true }),
			ticket('priority', 'integer', { required: true, picklist: pick('Tickets', 'priority') }),
			ticket('purchaseOrderNumber', 'string', { length: 50 }),
			ticket('queueID', 'integer', { picklist: pick('Tickets', 'queueID') }),
			ticket('resolution', 'string', { length: 32000 }),
			ticket('source', 'integer', { picklist: pick('Tickets', 'source') }),
			ticket('status', 'integer', { required: true, picklist: pick('Tickets', 'status') }),
			ticket('subIssueType', 'integer', { picklist: pick('Tickets', 'subIssueType'), parentField: 'IssueType' }),
			// Writable in the real metadata, but the number is system-generated: the sandbox ignores a sent value.
			ticket('ticketNumber', 'string', { length: 50 }),
			ticket('ticketType', 'integer', { picklist: pick('Tickets', 'ticketType') }),
			ticket('title', 'string', { length: 255, required: true }),
		],
		TicketNotes: [
			field('id', 'long', { required: true, readOnly: true }),
			field('createDateTime', 'datetime', { readOnly: true }),
			field('creatorResourceID', 'integer', { readOnly: true, reference: 'Resource' }),
			field('description', 'string', { length: 32000, required: true }),
			field('impersonatorCreatorResourceID', 'integer', { readOnly: true, reference: 'Resource' }),
			field('lastActivityDate', 'datetime', { readOnly: true }),
			field('noteType', 'integer', { required: true, picklist: pick('TicketNotes', 'noteType') }),
			field('publish', 'integer', { required: true, picklist: pick('TicketNotes', 'publish') }),
			field('ticketID', 'integer', { required: true, reference: 'Ticket' }),
			field('title', 'string', { length: 250 }),
		],
		Resources: [
			field('id', 'long', { required: true, readOnly: true }),
			field('defaultServiceDeskRoleID', 'long', { reference: 'Role', queryable: false }),
			field('email', 'string', { length: 254, required: true }),
			field('email2', 'string', { length: 254 }),
			field('email3', 'string', { length: 254 }),
			field('firstName', 'string', { length: 50, required: true }),
			field('isActive', 'boolean', { required: true }),
			field('lastName', 'string', { length: 50, required: true }),
			field('licenseType', 'integer', { required: true, readOnly: true, picklist: pick('Resources', 'licenseType') }),
			field('resourceType', 'string', { length: 15, required: true, picklist: pick('Resources', 'resourceType') }),
			field('title', 'string', { length: 50 }),
			field('userName', 'string', { length: 32, required: true }),
		],
		Companies: [
			field('id', 'long', { required: true, readOnly: true }),
			field('companyName', 'string', { length: 100, required: true }),
			field('companyType', 'integer', { required: true, picklist: pick('Companies', 'companyType') }),
			field('isActive', 'boolean'),
			field('phone', 'string', { length: 25, required: true }),
		],
		Contacts: [
			field('id', 'long', { required: true, readOnly: true }),
			field('companyID', 'integer', { required: true, readOnly: true, reference: 'Company', webhook: true }),
			field('emailAddress', 'string', { length: 254, webhook: true }),
			field('externalID', 'string', { length: 50, webhook: true }),
			field('firstName', 'string', { length: 50, required: true, webhook: true }),
			field('isActive', 'integer', { required: true, webhook: true }),
			field('lastName', 'string', { length: 50, required: true, webhook: true }),
		],
		TicketWebhooks: [
			field('id', 'long', { required: true, readOnly: true }),
			field('deactivationUrl', 'string', { length: 500, required: true }),
			field('isActive', 'boolean', { required: true }),
			field('isReady', 'boolean'),
			field('isSubscribedToCreateEvents', 'boolean'),
			field('isSubscribedToDeleteEvents', 'boolean'),
			field('isSubscribedToUpdateEvents', 'boolean'),
			field('name', 'string', { length: 50, required: true }),
			field('notificationEmailAddress', 'string', { length: 150 }),
			field('ownerResourceID', 'integer', { readOnly: true, reference: 'Resource' }),
			field('secretKey', 'string', { length: 64, required: true }),
			field('sendThresholdExceededNotification', 'boolean', { required: true }),
			field('webhookGuid', 'string', { length: 100, readOnly: true }),
			field('webhookUrl', 'string', { length: 500, required: true }),
		],
		TicketWebhookFields: [
			field('id', 'long', { required: true, readOnly: true }),
			field('fieldID', 'integer', {
				required: true,
				picklist: picklist(Object.entries(TICKET_WEBHOOK_FIELDS).map(([id, entry], index) => [Number(id), entry.name, index, 's'])),
			}),
			field('isDisplayAlwaysField', 'boolean', { required: true }),
			field('isSubscribedField', 'boolean', { required: true }),
			field('webhookID', 'integer', { required: true, reference: 'TicketWebhook' }),
		],
		// The configuration item fields the package reads, typed as the 2020 swagger's ConfigurationItemModel; lengths are the sandbox's.
		ConfigurationItems: [
			field('id', 'long', { required: true, readOnly: true }),
			field('companyID', 'integer', { required: true, reference: 'Company' }),
			field('companyLocationID', 'integer', { reference: 'CompanyLocation' }),
			field('configurationItemType', 'integer', { reference: 'ConfigurationItemType' }),
			field('createDate', 'datetime', { readOnly: true }),
			field('isActive', 'boolean', { required: true }),
			field('lastModifiedTime', 'datetime', { readOnly: true }),
			field('productID', 'integer', { required: true, reference: 'Product' }),
			field('referenceNumber', 'string', { length: 50 }),
			field('referenceTitle', 'string', { length: 200 }),
			field('rmmDeviceAuditHostname', 'string', { length: 255, readOnly: true }),
			field('rmmDeviceAuditIPAddress', 'string', { length: 100, readOnly: true }),
			field('rmmDeviceAuditMacAddress', 'string', { length: 100, readOnly: true }),
			field('rmmDeviceID', 'long', { readOnly: true }),
			field('rmmDeviceUID', 'string', { length: 100, readOnly: true }),
			field('serialNumber', 'string', { length: 100 }),
		],
		ConfigurationItemTypes: [field('id', 'long', { required: true, readOnly: true }), field('isActive', 'boolean', { required: true }), field('name', 'string', { length: 100, required: true })],
		CompanyLocations: [
			field('id', 'long', { required: true, readOnly: true }),
			field('companyID', 'integer', { required: true, reference: 'Company' }),
			field('isActive', 'boolean', { required: true }),
			field('isPrimary', 'boolean', { required: true }),
			field('name', 'string', { length: 100, required: true }),
		],
		TicketAdditionalConfigurationItems: [
			field('id', 'long', { required: true, readOnly: true }),
			field('configurationItemID', 'integer', { required: true, reference: 'ConfigurationItem' }),
			field('ticketID', 'integer', { required: true, reference: 'Ticket' }),
		],
		// TimeEntryModel and RoleModel / BillingCodeModel of the 2020 swagger (work subset); lengths are the sandbox's.
		TimeEntries: [
			field('id', 'long', { required: true, readOnly: true }),
			field('ticketID', 'integer', { reference: 'Ticket' }),
			field('resourceID', 'integer', { required: true, reference: 'Resource' }),
			field('roleID', 'integer', { required: true, reference: 'Role' }),
			field('billingCodeID', 'integer', { reference: 'BillingCode' }),
			field('dateWorked', 'datetime', { required: true }),
			field('startDateTime', 'datetime'),
			field('endDateTime', 'datetime'),
			field('hoursWorked', 'decimal'),
			field('summaryNotes', 'string', { length: 8000 }),
			field('internalNotes', 'string', { length: 8000 }),
			field('isNonBillable', 'boolean'),
			field('showOnInvoice', 'boolean'),
			field('createDateTime', 'datetime', { readOnly: true }),
			field('creatorUserID', 'integer', { readOnly: true }),
		],
		TicketAttachments: [
			field('id', 'long', { required: true, readOnly: true }),
			field('parentID', 'long', { reference: 'Ticket' }),
			field('parentType', 'integer'),
			field('attachmentType', 'string', { length: 20, required: true }),
			field('fullPath', 'string', { length: 255, required: true }),
			field('title', 'string', { length: 255, required: true }),
			field('publish', 'integer', { required: true }),
			field('contentType', 'string', { length: 100 }),
			field('fileSize', 'decimal', { readOnly: true, queryable: false }),
			field('attachDate', 'datetime', { readOnly: true }),
			field('attachedByResourceID', 'long', { readOnly: true }),
			field('data', 'string', { queryable: false }),
		],
		Roles: [field('id', 'long', { required: true, readOnly: true }), field('name', 'string', { length: 200, required: true }), field('isActive', 'boolean', { required: true })],
		BillingCodes: [
			field('id', 'long', { required: true, readOnly: true }),
			field('name', 'string', { length: 200, required: true }),
			field('isActive', 'boolean', { required: true }),
			field('useType', 'integer'),
		],
		TicketWebhookExcludedResources: [
			field('id', 'long', { required: true, readOnly: true }),
			field('resourceID', 'integer', { required: true, reference: 'Resource' }),
			field('webhookID', 'integer', { required: true, reference: 'TicketWebhook' }),
		],
	};
}

/** GET /{Entity}/entityInformation's `info` object (Swagger EntityInfoModel). */
export function entityInfo(name: string, can: { create: boolean; update: boolean; delete: boolean; webhooks: boolean }) {
	return {
		name,
		canCreate: can.create,
		canDelete: can.delete,
		canQuery: true,
		canUpdate: can.update,
		userAccessForCreate: can.create ? 'All' : 'None',
		userAccessForDelete: can.delete ? 'All' : 'None',
		userAccessForQuery: 'All',
		userAccessForUpdate: can.update ? 'All' : 'None',
		hasUserDefinedFields: ['Ticket', 'Company', 'Contact', 'ConfigurationItem'].includes(name),
		supportsWebhookCallouts: can.webhooks,
	};
}
