// Autotask lookups: companies, contacts, company locations (sites) and resources (members), API users left out of every member answer.
import type { PsaCache } from '../../cache';
import { PsaError } from '../errors';
import type { PsaChoice, PsaCompany, PsaContact, PsaListQuery, PsaMember } from '../types';
import { isObject, recordId, searchText } from '../values';
import type { AutotaskClient } from './client';
import { type Filter, q } from './filter';
import { fieldOf, itemOf, readCompany, readContact, readMember, requiredId } from './read';

export const DEFAULT_LIST_LIMIT = 1000;
const MEMBERS_BY_EMAIL_TTL_MS = 60 * 1000;
const SITES_TTL_MS = 10 * 60 * 1000;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export class AutotaskLookups {
	constructor(
		private readonly client: AutotaskClient,
		private readonly cache: PsaCache,
		private readonly connectionId: string,
		private readonly query: (path: string, filter: Array<Filter | undefined>, limit: number | undefined) => Promise<unknown[]>,
	) {}

	async listCompanies(query: PsaListQuery = {}): Promise<PsaCompany[]> {
		const search = searchText(query.search);
		const items = await this.query('/Companies/query', [search ? q.contains('companyName', search) : undefined], query.limit ?? DEFAULT_LIST_LIMIT);
		return items.map((item) => readCompany(item, 'POST /Companies/query')).sort((a, b) => a.name.localeCompare(b.name));
	}

	async listContacts(query: PsaListQuery & { companyId?: number } = {}): Promise<PsaContact[]> {
		const search = searchText(query.search);
		const items = await this.query(
			'/Contacts/query',
			[
				query.companyId !== undefined ? q.eq('companyID', nonNegativeId(query.companyId, 'company')) : undefined,
				search ? q.or(q.contains('firstName', search), q.contains('lastName', search)) : undefined,
			],
			query.limit ?? DEFAULT_LIST_LIMIT,
		);
		return items.map((item) => readContact(item, 'POST /Contacts/query'));
	}

	/**
	 * A company's locations (CompanyLocations/query, cached per company): the sites a ticket's companyLocationID names.
	 * The entity is not in the reference subset; its name, id, companyID and isActive fields are read tolerantly.
	 */
	listSites(companyId: number): Promise<PsaChoice[]> {
		const company = nonNegativeId(companyId, 'company');
		return this.cache.getOrLoad(
			this.connectionId,
			`sites:${company}`,
			async () => {
				const items = await this.query('/CompanyLocations/query', [q.eq('companyID', company)], DEFAULT_LIST_LIMIT);
				return items
					.filter(isObject)
					.map((item) => {
						const active = fieldOf(item, 'isActive');
						const inactive = active === false || active === 0 || active === 'false';
						return { id: requiredId(item, 'id', 'POST /CompanyLocations/query'), name: String(fieldOf(item, 'name') ?? ''), ...(inactive ? { inactive: true } : {}) };
					})
					.sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
			},
			SITES_TTL_MS,
		);
	}

	async listMembers(query: PsaListQuery = {}): Promise<PsaMember[]> {
		const search = searchText(query.search);
		const filter = search ? q.or(q.contains('userName', search), q.contains('firstName', search), q.contains('lastName', search)) : undefined;
		const items = await this.query('/Resources/query', [filter], query.limit ?? DEFAULT_LIST_LIMIT);
		return people(items.map((item) => readMember(item, 'POST /Resources/query')));
	}

	async getMember(id: number): Promise<PsaMember> {
		const path = `/Resources/${positiveId(id, 'member')}`;
		const item = itemOf(await this.client.request({ method: 'GET', path }), `GET ${path}`);
		if (!item) throw new PsaError('not-found', `Autotask has no resource ${id}`, { request: `GET ${path}`, refused: true });
		const { apiUser: _apiUser, ...member } = readMember(item, `GET ${path}`);
		return member;
	}

	/** Every resource (active or not, API users excluded) with this email in email, email2 or email3. */
	async findMembersByEmail(email: string): Promise<PsaMember[]> {
		const normalised = String(email ?? '').trim().toLowerCase();
		if (!EMAIL.test(normalised) || normalised.length > 254) throw new PsaError('invalid-input', `'${String(email)}' is not an email address`, { field: 'email' });
		return this.cache.getOrLoad(
			this.connectionId,
			`members-by-email:${normalised}`,
			async () => {
				const items = await this.query('/Resources/query', [q.or(q.eq('email', normalised), q.eq('email2', normalised), q.eq('email3', normalised))], 100);
				return people(items.map((item) => readMember(item, 'POST /Resources/query'))).filter((member) => member.emails.includes(normalised));
			},
			MEMBERS_BY_EMAIL_TTL_MS,
		);
	}

	async findMemberByIdentifier(identifier: string): Promise<PsaMember | undefined> {
		const value = String(identifier ?? '').trim();
		if (!value) throw new PsaError('invalid-input', 'A member identifier is empty', { field: 'identifier' });
		const items = await this.query('/Resources/query', [q.eq('userName', value)], 5);
		return people(items.map((item) => readMember(item, 'POST /Resources/query'))).find((member) => member.identifier.toLowerCase() === value.toLowerCase());
	}
}

/** People only: API users are never mapped, assigned or matched by email. */
function people(members: Array<PsaMember & { apiUser: boolean }>): PsaMember[] {
	return members.filter((member) => !member.apiUser).map(({ apiUser: _apiUser, ...member }) => member);
}

function positiveId(value: unknown, what: string): number {
	return recordId(value, what, `${what}ID`);
}

/** Company 0 is the tenant's own company in Autotask. */
function nonNegativeId(value: unknown, what: string): number {
	return recordId(value, what, `${what}ID`, 0);
}
