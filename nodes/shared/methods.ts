// Dropdowns and searchable lists shared by the PSA nodes: boards, statuses, priorities, companies, contacts, members, tickets.
import type { ILoadOptionsFunctions, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';
import type { PsaChoice, PsaPriority, PsaProvider, PsaStatus, PsaWorkChoiceKind } from '../../lib/providers/types';
import { providerFor } from './context';

const LIST_LIMIT = 100;

function numberParameter(fns: ILoadOptionsFunctions, name: string): number | undefined {
	let value: unknown;
	try {
		value = fns.getCurrentNodeParameter(name, { extractValue: true });
	} catch {
		return undefined;
	}
	const id = Number(value);
	return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** The first of the names that holds an id: the details live in Additional Fields (Link) or Update Fields (Ticket). */
function firstNumber(fns: ILoadOptionsFunctions, names: string[]): number | undefined {
	for (const name of names) {
		const id = numberParameter(fns, name);
		if (id !== undefined) return id;
	}
	return undefined;
}

const detailPath = (name: string) => [`additionalFields.${name}`, `updateFields.${name}`, name];

function choiceOptions(choices: PsaChoice[]): INodePropertyOptions[] {
	return choices.filter((choice) => !choice.inactive).map((choice) => ({ name: choice.name, value: choice.id }));
}

/** Reads a number parameter by the first of the names that holds one (a dropdown's dependencies). */
export type NumberParameterOf = (names: string[]) => number | undefined;

/**
 * The records behind each dropdown, by its loadOptions method: the editor shows them, and a name a model (or an
 * expression) gives where an id is expected is resolved against the same list (nodes/shared/tool-input.ts).
 */
export const choiceLists: Record<string, (provider: PsaProvider, parameter: NumberParameterOf) => Promise<PsaChoice[]>> = {
	getBoards: (provider) => provider.listBoards(),
	getBoardStatuses: async (provider, parameter) => {
		const boardId = parameter(['boardId']);
		return boardId === undefined ? [] : provider.listStatuses(boardId);
	},
	getPriorities: (provider) => provider.listPriorities(),
	/** Types of the chosen board (ConnectWise) or of the PSA (Autotask issue types). */
	getTicketTypes: async (provider, parameter) => {
		const boardId = parameter(detailPath('boardId'));
		if (provider.ticketCapabilities.classificationPerBoard && boardId === undefined) return [];
		return provider.listTicketTypes(boardId);
	},
	/** Only the subtypes valid with the chosen type (on the board). */
	getTicketSubtypes: async (provider, parameter) => {
		const typeId = parameter(detailPath('type'));
		return typeId === undefined ? [] : provider.listTicketSubtypes(typeId, parameter(detailPath('boardId')));
	},
	/** Only the items valid with the chosen type and subtype (on the board). */
	getTicketItems: async (provider, parameter) => {
		const typeId = parameter(detailPath('type'));
		return typeId === undefined ? [] : provider.listTicketItems(typeId, parameter(detailPath('subtype')), parameter(detailPath('boardId')));
	},
	getTeams: (provider, parameter) => provider.listTeams(parameter(detailPath('boardId'))),
	getSources: (provider) => provider.listSources(),
	getSites: async (provider, parameter) => {
		const companyId = parameter(['company']);
		return companyId === undefined ? [] : provider.listSites(companyId);
	},
};

async function listedChoices(fns: ILoadOptionsFunctions, method: string): Promise<PsaChoice[]> {
	return choiceLists[method](await providerFor(fns), (names) => firstNumber(fns, names));
}

export const loadOptions = {
	async getBoards(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return choiceOptions(await listedChoices(this, 'getBoards'));
	},

	async getBoardStatuses(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const statuses = (await listedChoices(this, 'getBoardStatuses')) as PsaStatus[];
		return statuses
			.filter((status) => !status.inactive)
			.sort((a, b) => a.sortOrder - b.sortOrder)
			.map((status) => ({ name: status.closed ? `${status.name} (closed)` : status.name, value: status.id }));
	},

	async getPriorities(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const priorities = (await listedChoices(this, 'getPriorities')) as PsaPriority[];
		return priorities.sort((a, b) => a.sortOrder - b.sortOrder).map((priority) => ({ name: priority.name, value: priority.id }));
	},

	async getTicketTypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return choiceOptions(await listedChoices(this, 'getTicketTypes'));
	},

	async getTicketSubtypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return choiceOptions(await listedChoices(this, 'getTicketSubtypes'));
	},

	async getTicketItems(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return choiceOptions(await listedChoices(this, 'getTicketItems'));
	},

	async getTeams(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return choiceOptions(await listedChoices(this, 'getTeams'));
	},

	/** ConnectWise work roles, Autotask roles: what a time entry is billed under. None where the PSA has no roles (HaloPSA). */
	async getWorkRoles(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return workChoiceOptions(await providerFor(this), 'workRole');
	},

	/** ConnectWise work types, Autotask billing codes, HaloPSA action types. */
	async getWorkTypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return workChoiceOptions(await providerFor(this), 'workType');
	},

	async getSources(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return choiceOptions(await listedChoices(this, 'getSources'));
	},

	async getSites(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		return choiceOptions(await listedChoices(this, 'getSites'));
	},

	async getCustomFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		const definitions = await provider.listCustomFields();
		return definitions
			.filter((definition) => !definition.inactive)
			.map((definition) => ({
				name: `${definition.name} (${definition.type}${definition.required ? ', required' : ''})`,
				value: definition.name,
				description: definition.picklist?.length ? `One of: ${definition.picklist.map((choice) => choice.label).join(', ')}` : `A ${definition.type} value`,
			}));
	},

	async getContacts(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const companyId = numberParameter(this, 'company');
		if (companyId === undefined) return [];
		const provider = await providerFor(this);
		const contacts = await provider.listContacts({ companyId, limit: LIST_LIMIT });
		return contacts.map((contact) => ({ name: contact.email ? `${contact.name} <${contact.email}>` : contact.name, value: contact.id }));
	},
};

export const listSearch = {
	async searchTickets(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
		const provider = await providerFor(this);
		const tickets = await provider.listTickets({ search: filter || undefined, openOnly: true, limit: LIST_LIMIT });
		return {
			results: tickets.map((ticket) => ({ name: `#${ticket.id} ${ticket.summary}`, value: String(ticket.id), url: provider.ticketUrl(ticket.id) })),
		};
	},

	async searchCompanies(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
		const provider = await providerFor(this);
		const companies = await provider.listCompanies({ search: filter || undefined, limit: LIST_LIMIT });
		return { results: companies.map((company) => ({ name: `${company.name} (${company.identifier})`, value: String(company.id) })) };
	},

	async searchMembers(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
		const provider = await providerFor(this);
		const members = await provider.listMembers({ search: filter || undefined, limit: LIST_LIMIT });
		return {
			results: members
				.filter((member) => !member.inactive)
				.map((member) => ({ name: `${member.name} (${member.identifier})`, value: String(member.id) })),
		};
	},

	async searchBoards(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
		const provider = await providerFor(this);
		const boards = await provider.listBoards({ search: filter || undefined });
		return { results: boards.filter((board) => !board.inactive).map((board) => ({ name: board.name, value: String(board.id) })) };
	},
};

/** The PSA's choices of a kind, or none where its declaration says it has no such choice (an empty list, never made up). */
async function workChoiceOptions(provider: PsaProvider, kind: PsaWorkChoiceKind): Promise<INodePropertyOptions[]> {
	if (!provider.workCapabilities.choices.includes(kind)) return [];
	return choiceOptions(await provider.listWorkChoices(kind));
}
