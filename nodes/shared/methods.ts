// Dropdowns and searchable lists shared by the PSA nodes: boards, statuses, priorities, companies, contacts, members, tickets.
import type { ILoadOptionsFunctions, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';
import type { PsaChoice } from '../../lib/providers/types';
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

export const loadOptions = {
	async getBoards(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		const boards = await provider.listBoards();
		return boards.filter((board) => !board.inactive).map((board) => ({ name: board.name, value: board.id }));
	},

	async getBoardStatuses(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const boardId = numberParameter(this, 'boardId');
		if (boardId === undefined) return [];
		const provider = await providerFor(this);
		const statuses = await provider.listStatuses(boardId);
		return statuses
			.filter((status) => !status.inactive)
			.sort((a, b) => a.sortOrder - b.sortOrder)
			.map((status) => ({ name: status.closed ? `${status.name} (closed)` : status.name, value: status.id }));
	},

	async getPriorities(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		const priorities = await provider.listPriorities();
		return priorities.sort((a, b) => a.sortOrder - b.sortOrder).map((priority) => ({ name: priority.name, value: priority.id }));
	},

	/** Types of the chosen board (ConnectWise) or of the PSA (Autotask issue types). */
	async getTicketTypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		const boardId = firstNumber(this, detailPath('boardId'));
		if (provider.ticketCapabilities.classificationPerBoard && boardId === undefined) return [];
		return choiceOptions(await provider.listTicketTypes(boardId));
	},

	/** Only the subtypes valid with the chosen type (on the board). */
	async getTicketSubtypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const typeId = firstNumber(this, detailPath('type'));
		if (typeId === undefined) return [];
		const provider = await providerFor(this);
		return choiceOptions(await provider.listTicketSubtypes(typeId, firstNumber(this, detailPath('boardId'))));
	},

	/** Only the items valid with the chosen type and subtype (on the board). */
	async getTicketItems(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const typeId = firstNumber(this, detailPath('type'));
		if (typeId === undefined) return [];
		const provider = await providerFor(this);
		return choiceOptions(await provider.listTicketItems(typeId, firstNumber(this, detailPath('subtype')), firstNumber(this, detailPath('boardId'))));
	},

	async getTeams(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		return choiceOptions(await provider.listTeams(firstNumber(this, detailPath('boardId'))));
	},

	/** ConnectWise work roles, Autotask roles: what a time entry is billed under. */
	async getWorkRoles(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		return choiceOptions(await provider.listWorkChoices('workRole'));
	},

	/** ConnectWise work types, Autotask billing codes. */
	async getWorkTypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		return choiceOptions(await provider.listWorkChoices('workType'));
	},

	async getSources(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const provider = await providerFor(this);
		return choiceOptions(await provider.listSources());
	},

	async getSites(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
		const companyId = firstNumber(this, ['company']);
		if (companyId === undefined) return [];
		const provider = await providerFor(this);
		return choiceOptions(await provider.listSites(companyId));
	},

	/** Custom field definitions: name, type and the values a picklist accepts, shown in the dropdown. */
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
