// The sandbox's ticket-depth records (2025.8 model shapes): board types, subtypes, items and their valid combinations, teams, sources, company sites, configurations and ticket custom field definitions, with their stable seed.
import type { Info, Reference } from './data';

export interface CwBoardType {
	id: number;
	name: string;
	category: string | null;
	defaultFlag: boolean;
	inactiveFlag: boolean;
	requestForChangeFlag: boolean;
	board: Reference;
	_info: Info;
}

export interface CwBoardSubType {
	id: number;
	name: string;
	inactiveFlag: boolean;
	/** The types this subtype is offered with (ConnectWise keeps it on the subtype as well as in the combinations). */
	typeAssociationIds: number[];
	board: Reference;
	_info: Info;
}

export interface CwBoardItem {
	id: number;
	name: string;
	inactiveFlag: boolean;
	board: Reference;
	_info: Info;
}

/** One valid type / subtype / item combination of a board; subType and item absent where it has none. */
export interface CwTypeSubTypeItemAssociation {
	id: number;
	type: Reference;
	subType?: Reference;
	item?: Reference;
	board: Reference;
	_info: Info;
}

export interface CwBoardTeam {
	id: number;
	name: string;
	teamLeader: Reference;
	members: number[];
	defaultFlag: boolean;
	notifyOnTicketDelete: boolean;
	boardId: number;
	locationId: number;
	businessUnitId: number;
	_info: Info;
}

export interface CwSource {
	id: number;
	name: string;
	defaultFlag: boolean;
	enteredBy: string;
	dateEntered: string;
	_info: Info;
}

export interface CwCompanySite {
	id: number;
	name: string;
	addressLine1: string;
	city: string;
	zip: string;
	phoneNumber: string;
	primaryAddressFlag: boolean;
	defaultShippingFlag: boolean;
	defaultBillingFlag: boolean;
	defaultMailingFlag: boolean;
	inactiveFlag: boolean;
	company: Reference;
	_info: Info;
}

export interface CwConfiguration {
	id: number;
	name: string;
	type: Reference;
	status: Reference;
	company: Reference;
	site?: Reference;
	deviceIdentifier?: string;
	serialNumber?: string;
	modelNumber?: string;
	macAddress?: string;
	ipAddress?: string;
	osType?: string;
	activeFlag: boolean;
	billFlag: boolean;
	_info: Info;
}

export interface CwUserDefinedFieldOption {
	id: number;
	optionValue: string;
	defaultFlag: boolean;
	inactiveFlag: boolean;
	sortOrder: number;
}

export interface CwUserDefinedField {
	id: number;
	podId: number;
	caption: string;
	sequenceNumber: number;
	/** The screen the field is on: `sr100` is the service ticket. */
	screenId: string;
	helpText?: string;
	fieldTypeIdentifier: string;
	numberDecimals: number;
	entryTypeIdentifier: string;
	requiredFlag: boolean;
	displayOnScreenFlag: boolean;
	readOnlyFlag: boolean;
	listViewFlag: boolean;
	options?: CwUserDefinedFieldOption[];
	dateCreated: string;
	_info: Info;
}

/** A ticket's custom field as the ticket carries it (CustomFieldValue); `value` is absent while the field is empty. */
export interface CwCustomFieldValue {
	id: number;
	caption: string;
	type: string;
	entryMethod: string;
	numberOfDecimals: number;
	value?: string | number | boolean;
}

export interface SandboxDepthDb {
	boardTypes: CwBoardType[];
	boardSubTypes: CwBoardSubType[];
	boardItems: CwBoardItem[];
	typeSubTypeItemAssociations: CwTypeSubTypeItemAssociation[];
	boardTeams: CwBoardTeam[];
	sources: CwSource[];
	companySites: CwCompanySite[];
	configurations: CwConfiguration[];
	userDefinedFields: CwUserDefinedField[];
	/** The configurations attached to each ticket, by ticket id, in the order attached. */
	ticketConfigurations: Record<number, number[]>;
}

/** The service ticket screen's id (custom fields on other screens belong to other records). */
export const TICKET_SCREEN = 'sr100';

/** What the conformance suite and the depth tests name: the records below, by role. */
export const DEPTH_SEED = {
	boardId: 2,
	companyId: 250,
	typeName: 'Incident',
	subtypeName: 'Network',
	itemName: 'Outage',
	/** A subtype of board 2 offered with 'Problem' only. */
	foreignSubtypeName: 'Printer',
	sourceName: 'Monitoring',
	teamName: 'Network Team',
	siteName: 'Tampa HQ',
	configurationItem: { id: 700, name: 'ACME-FW01', serialNumber: 'FGT60F-0001', ipAddress: '10.0.0.1', macAddress: '00:09:0F:AA:00:01', deviceId: 'rmm-acme-fw01' },
	secondConfigurationItemId: 701,
	inactiveConfigurationItemId: 702,
	otherCompanySerialNumber: 'FGT60F-0002',
	picklistField: { name: 'Region', value: 'EMEA', invalidValue: 'Mars' },
	textFieldName: 'Alert Source',
	numberFieldName: 'Impact Score',
	checkboxFieldName: 'Customer Notified',
	dateFieldName: 'Maintenance Until',
} as const;

export function createDepthSeed(info: (extra?: Info) => Info, seedTime: string): SandboxDepthDb {
	const boards: Record<number, Reference> = { 1: { id: 1, name: 'Help Desk' }, 2: { id: 2, name: 'Network Operations' } };
	const type = (id: number, board: number, name: string, inactiveFlag = false): CwBoardType => ({
		id, name, category: 'Reactive', defaultFlag: false, inactiveFlag, requestForChangeFlag: false, board: boards[board], _info: info(),
	});
	const item = (id: number, board: number, name: string, inactiveFlag = false): CwBoardItem => ({ id, name, inactiveFlag, board: boards[board], _info: info() });
	const boardTypes = [type(11, 1, 'Incident'), type(12, 1, 'Request'), type(21, 2, 'Incident'), type(22, 2, 'Problem'), type(23, 2, 'Change', true)];
	const boardItems = [item(41, 2, 'Outage'), item(42, 2, 'Degraded'), item(43, 2, 'Configuration'), item(44, 1, 'Laptop'), item(45, 2, 'Retired', true)];
	// [id, board, type, subtype, item]
	const combinations: Array<[number, number, number, number | undefined, number | undefined]> = [
		[901, 2, 21, undefined, undefined],
		[902, 2, 21, 31, undefined],
		[903, 2, 21, 31, 41],
		[904, 2, 21, 31, 42],
		[905, 2, 21, 32, undefined],
		[906, 2, 21, 32, 41],
		[907, 2, 21, 34, undefined],
		[908, 2, 22, undefined, undefined],
		[909, 2, 22, 32, 43],
		[910, 2, 22, 33, undefined],
		[911, 2, 21, 31, 45],
		[912, 1, 11, 35, 44],
		[913, 1, 11, 36, undefined],
		[914, 1, 12, undefined, undefined],
	];
	const subtypeNames: Record<number, [number, string, boolean]> = {
		31: [2, 'Network', false],
		32: [2, 'Server', false],
		33: [2, 'Printer', false],
		34: [2, 'Legacy', true],
		35: [1, 'Hardware', false],
		36: [1, 'Software', false],
	};
	const named = (records: Array<{ id: number; name: string }>, id: number | undefined): Reference | undefined => {
		const record = records.find((candidate) => candidate.id === id);
		return record ? { id: record.id, name: record.name } : undefined;
	};
	const boardSubTypes: CwBoardSubType[] = Object.entries(subtypeNames).map(([id, [board, name, inactiveFlag]]) => ({
		id: Number(id),
		name,
		inactiveFlag,
		typeAssociationIds: [...new Set(combinations.filter((combination) => combination[3] === Number(id)).map((combination) => combination[2]))],
		board: boards[board],
		_info: info(),
	}));
	const typeSubTypeItemAssociations: CwTypeSubTypeItemAssociation[] = combinations.map(([id, board, typeId, subtypeId, itemId]) => {
		const association: CwTypeSubTypeItemAssociation = { id, type: named(boardTypes, typeId) as Reference, board: boards[board], _info: info() };
		const subType = named(boardSubTypes, subtypeId);
		if (subType) association.subType = subType;
		const boardItem = named(boardItems, itemId);
		if (boardItem) association.item = boardItem;
		return association;
	});
	const leader: Reference = { id: 150, identifier: 'jsmith', name: 'John Smith' };
	const team = (id: number, board: number, name: string): CwBoardTeam => ({
		id, name, teamLeader: leader, members: [150, 151], defaultFlag: false, notifyOnTicketDelete: false, boardId: board, locationId: 2, businessUnitId: 10, _info: info(),
	});
	const source = (id: number, name: string, defaultFlag = false): CwSource => ({ id, name, defaultFlag, enteredBy: 'admin1', dateEntered: seedTime, _info: info() });
	const company = (id: number, identifier: string, name: string): Reference => ({ id, identifier, name });
	const acme = company(250, 'AcmeCorp', 'Acme Corp');
	const globex = company(251, 'Globex', 'Globex');
	const site = (id: number, owner: Reference, name: string, city: string, inactiveFlag = false): CwCompanySite => ({
		id, name, addressLine1: '100 Main Street', city, zip: '33602', phoneNumber: '8135550100', primaryAddressFlag: id === 60 || id === 62,
		defaultShippingFlag: false, defaultBillingFlag: false, defaultMailingFlag: false, inactiveFlag, company: owner, _info: info(),
	});
	const configurationType = { firewall: { id: 1, name: 'Firewall' }, server: { id: 2, name: 'Server' }, workstation: { id: 3, name: 'Workstation' } };
	const configuration = (id: number, owner: Reference, name: string, typeRef: Reference, fields: Partial<CwConfiguration>, activeFlag = true): CwConfiguration => ({
		id, name, type: typeRef, status: activeFlag ? { id: 1, name: 'Active' } : { id: 2, name: 'Inactive' }, company: owner, activeFlag, billFlag: false, _info: info(), ...fields,
	});
	const field = (id: number, caption: string, fieldTypeIdentifier: string, entryTypeIdentifier: string, extra: Partial<CwUserDefinedField> = {}): CwUserDefinedField => ({
		id, podId: 1, caption, sequenceNumber: id, screenId: TICKET_SCREEN, fieldTypeIdentifier, numberDecimals: 0, entryTypeIdentifier, requiredFlag: false,
		displayOnScreenFlag: true, readOnlyFlag: false, listViewFlag: false, dateCreated: seedTime, _info: info(), ...extra,
	});
	const option = (id: number, optionValue: string, sortOrder: number, inactiveFlag = false): CwUserDefinedFieldOption => ({ id, optionValue, defaultFlag: false, inactiveFlag, sortOrder });
	return {
		boardTypes,
		boardSubTypes,
		boardItems,
		typeSubTypeItemAssociations,
		boardTeams: [team(51, 2, 'Network Team'), team(52, 2, 'NOC Night'), team(53, 1, 'Help Desk Team')],
		sources: [source(1, 'Email'), source(2, 'Phone', true), source(3, 'Portal'), source(4, 'Monitoring')],
		companySites: [site(60, acme, 'Tampa HQ', 'Tampa'), site(61, acme, 'Orlando Branch', 'Orlando'), site(64, acme, 'Old Warehouse', 'Tampa', true), site(62, globex, 'Cypress Creek', 'Springfield')],
		configurations: [
			configuration(700, acme, 'ACME-FW01', configurationType.firewall, {
				serialNumber: 'FGT60F-0001', ipAddress: '10.0.0.1', macAddress: '00:09:0F:AA:00:01', deviceIdentifier: 'rmm-acme-fw01', modelNumber: 'FortiGate 60F',
			}),
			configuration(701, acme, 'ACME-SRV01', configurationType.server, { serialNumber: 'SRV-0001-ACME', ipAddress: '10.0.0.10', deviceIdentifier: 'rmm-acme-srv01', osType: 'Windows Server 2022' }),
			configuration(702, acme, 'ACME-OLD-PC', configurationType.workstation, { serialNumber: 'PC-0002-ACME', ipAddress: '10.0.0.99' }, false),
			configuration(703, acme, 'acme-fw01-lab', configurationType.firewall, { serialNumber: 'fgt60f-0001-lab', ipAddress: '10.0.1.1' }),
			configuration(710, globex, 'GLOBEX-FW01', configurationType.firewall, { serialNumber: 'FGT60F-0002', ipAddress: '10.1.0.1', macAddress: '00:09:0F:BB:00:01' }),
		],
		userDefinedFields: [
			field(1, 'Region', 'Text', 'List', { options: [option(1, 'EMEA', 1), option(2, 'APAC', 2), option(3, 'AMER', 3), option(4, 'LATAM', 4, true)] }),
			field(2, 'Alert Source', 'Text', 'EntryField', { helpText: 'The monitoring system that raised the alert' }),
			field(3, 'Impact Score', 'Number', 'EntryField', { numberDecimals: 1 }),
			field(4, 'Customer Notified', 'Checkbox', 'EntryField'),
			field(5, 'Maintenance Until', 'Date', 'Date'),
			field(6, 'Account Tier', 'Text', 'List', { screenId: 'company', options: [option(5, 'Gold', 1)] }),
		],
		ticketConfigurations: {},
	};
}
