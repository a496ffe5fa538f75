// Dropdowns and searchable lists shared by the PSA nodes: boards, statuses, priorities, companies, contacts, members, tickets.
import type { ILoadOptionsFunctions, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';
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
