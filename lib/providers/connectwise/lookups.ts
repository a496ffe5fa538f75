// ConnectWise lookups: boards, statuses, priorities, companies, contacts and members, cached where they change rarely.
import type { PsaCache } from '../../cache';
import { PsaError, isPsaError } from '../errors';
import type { PsaBoard, PsaCompany, PsaContact, PsaListQuery, PsaMember, PsaPriority, PsaStatus } from '../types';
import { filterLocally, recordId, searchText } from '../values';
import type { ConnectWiseClient } from './client';
import { allOf, cond } from './conditions';
import type { ListOptions } from './paging';
import { FIELDS, MODEL_2023_1, fieldsParam, memberFields, readBoard, readCompany, readContact, readMember, readPriority, readStatus, statusFields } from './read';
import { compareVersions } from './versions';

export const CACHE_TTL = {
	boards: 10 * 60 * 1000,
	statuses: 10 * 60 * 1000,
	priorities: 30 * 60 * 1000,
	membersByEmail: 60 * 1000,
};

/** Records returned by a list call when the query sets no limit (boards, statuses, priorities and callbacks are read whole). */
export const DEFAULT_LIST_LIMIT = 1000;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export class ConnectWiseLookups {
	constructor(
		private readonly client: ConnectWiseClient,
		private readonly cache: PsaCache,
		private readonly connectionId: string,
		private readonly list: <T>(path: string, options: ListOptions, read: (value: unknown) => T) => Promise<T[]>,
	) {}

	async listBoards(query: PsaListQuery = {}): Promise<PsaBoard[]> {
		const boards = await this.cache.getOrLoad(
			this.connectionId,
			'boards',
			() => this.list('/service/boards', { fields: fieldsParam(FIELDS.board), orderBy: 'name asc' }, (value) => readBoard(value, 'GET /service/boards')),
			CACHE_TTL.boards,
		);
		return filterLocally(boards, query, (board) => [board.name]);
	}

	async listStatuses(boardId: number): Promise<PsaStatus[]> {
		const id = positiveId(boardId, 'board');
		const path = `/service/boards/${id}/statuses`;
		const statuses = await this.cache.getOrLoad(
			this.connectionId,
			`statuses:${id}`,
			() =>
				this.list(path, { fields: statusFields(this.client.versionFor(path)), orderBy: 'sortOrder asc' }, (value) =>
					readStatus(value, `GET ${path}`, id),
				),
			CACHE_TTL.statuses,
		);
		return [...statuses].sort((a, b) => a.sortOrder - b.sortOrder || a.id - b.id);
	}

	async listPriorities(): Promise<PsaPriority[]> {
		const priorities = await this.cache.getOrLoad(
			this.connectionId,
			'priorities',
			() =>
				this.list('/service/priorities', { fields: fieldsParam(FIELDS.priority), orderBy: 'sortOrder asc' }, (value) =>
					readPriority(value, 'GET /service/priorities'),
				),
			CACHE_TTL.priorities,
		);
		return [...priorities].sort((a, b) => a.sortOrder - b.sortOrder || a.id - b.id);
	}

	async listCompanies(query: PsaListQuery = {}): Promise<PsaCompany[]> {
		const search = searchText(query.search);
		return this.list(
			'/company/companies',
			{
				conditions: search ? cond.or(cond.contains('name', search), cond.contains('identifier', search)) : undefined,
				fields: fieldsParam(FIELDS.company),
				orderBy: 'name asc',
				limit: query.limit ?? DEFAULT_LIST_LIMIT,
			},
			(value) => readCompany(value, 'GET /company/companies'),
		);
	}

	async listContacts(query: PsaListQuery & { companyId?: number } = {}): Promise<PsaContact[]> {
		const search = searchText(query.search);
		const conditions = allOf(
			query.companyId !== undefined ? cond.eq('company/id', positiveId(query.companyId, 'company')) : undefined,
			search ? cond.or(cond.contains('firstName', search), cond.contains('lastName', search)) : undefined,
		);
		return this.list(
			'/company/contacts',
			{ conditions, fields: fieldsParam(FIELDS.contact), orderBy: 'lastName asc', limit: query.limit ?? DEFAULT_LIST_LIMIT },
			(value) => readContact(value, 'GET /company/contacts'),
		);
	}

	async listMembers(query: PsaListQuery = {}): Promise<PsaMember[]> {
		const search = searchText(query.search);
		return this.list(
			'/system/members',
			{
				conditions: search
					? cond.or(cond.contains('identifier', search), cond.contains('firstName', search), cond.contains('lastName', search))
					: undefined,
				fields: this.memberFields(),
				forwardOnly: true,
				limit: query.limit ?? DEFAULT_LIST_LIMIT,
			},
			(value) => readMember(value, 'GET /system/members'),
		);
	}

	async getMember(id: number): Promise<PsaMember> {
		const path = `/system/members/${positiveId(id, 'member')}`;
		const response = await this.client.request({ method: 'GET', path, query: { fields: this.memberFields() } });
		return readMember(response.body, `GET ${path}`);
	}

	/** Every member (active or not) with this email as office or primary email; callers choose among the active ones. */
	async findMembersByEmail(email: string): Promise<PsaMember[]> {
		const normalised = String(email ?? '').trim().toLowerCase();
		if (!EMAIL.test(normalised) || normalised.length > 254) {
			throw new PsaError('invalid-input', `'${String(email)}' is not an email address`, { field: 'email' });
		}
		return this.cache.getOrLoad(
			this.connectionId,
			`members-by-email:${normalised}`,
			async () => {
				const search = (conditions: string) =>
					this.list('/system/members', { conditions, fields: this.memberFields(), forwardOnly: true, limit: 100 }, (value) =>
						readMember(value, 'GET /system/members'),
					);
				let members: PsaMember[];
				if (this.hasPrimaryEmail()) {
					try {
						members = await search(cond.or(cond.eq('officeEmail', normalised), cond.eq('primaryEmail', normalised)));
					} catch (error) {
						// A server whose member model predates primaryEmail rejects the condition: search office emails alone.
						if (!isPsaError(error, 'invalid-input')) throw error;
						members = await search(cond.eq('officeEmail', normalised));
					}
				} else {
					members = await search(cond.eq('officeEmail', normalised));
				}
				return members.filter((member) => member.emails.includes(normalised));
			},
			CACHE_TTL.membersByEmail,
		);
	}

	async findMemberByIdentifier(identifier: string): Promise<PsaMember | undefined> {
		const value = String(identifier ?? '').trim();
		if (!value) throw new PsaError('invalid-input', 'A member identifier is empty', { field: 'identifier' });
		const [member] = await this.list(
			'/system/members',
			{ conditions: cond.eq('identifier', value), fields: this.memberFields(), forwardOnly: true, limit: 1 },
			(item) => readMember(item, 'GET /system/members'),
		);
		return member && member.identifier.toLowerCase() === value.toLowerCase() ? member : undefined;
	}

	private hasPrimaryEmail(): boolean {
		return compareVersions(this.client.versionFor('/system/members'), MODEL_2023_1) >= 0;
	}

	private memberFields(): string {
		return memberFields(this.client.versionFor('/system/members'));
	}
}

function positiveId(value: unknown, what: string): number {
	return recordId(value, what, `${what}/id`);
}
