// ConnectWise time entries charged to a service ticket (/time/entries), their work types and roles, and ticket documents (/system/documents).
import { PsaError } from '../errors';
import type { PsaBillable, PsaChoice, PsaNoteListQuery, PsaTimeEntry, PsaTimeEntryCreate, PsaWorkCapabilities, PsaWorkChoiceKind } from '../types';
import { recordId } from '../values';
import { checkTimeEntry, isoSeconds } from '../work';
import { type ConnectWiseClient, isObject } from './client';
import { allOf, cond } from './conditions';
import { DEFAULT_LIST_LIMIT } from './lookups';
import type { ListOptions } from './paging';
import { fieldsParam, missing } from './read';

type List = <T>(path: string, options: ListOptions, read: (value: unknown) => T) => Promise<T[]>;

/** TimeEntry.chargeToType for a service ticket (model_time_entry.go: chargeToId / chargeToType). */
const CHARGE_TO_TICKET = 'ServiceTicket';
const TIME_ENTRY_FIELDS = ['id', 'chargeToId', 'chargeToType', 'member', 'timeStart', 'timeEnd', 'actualHours', 'billableOption', 'notes', 'internalNotes', 'workType', 'workRole', 'dateEntered'];
const BILLABLE_OPTION: Record<PsaBillable, string> = { billable: 'Billable', 'do-not-bill': 'DoNotBill', 'no-charge': 'NoCharge' };
const CHOICE_PATHS: Record<PsaWorkChoiceKind, string> = { workType: '/time/workTypes', workRole: '/time/workRoles' };

export class ConnectWiseWork {
	constructor(
		private readonly client: ConnectWiseClient,
		private readonly list: List,
		private readonly capabilities: () => PsaWorkCapabilities,
	) {}

	/** One POST /time/entries, never resent by the client (a POST is retried only on a 429). */
	async addTimeEntry(input: PsaTimeEntryCreate): Promise<PsaTimeEntry> {
		const checked = checkTimeEntry(input, this.capabilities(), (what) => `${what}/id`);
		const body: Record<string, unknown> = {
			chargeToId: checked.ticketId,
			chargeToType: CHARGE_TO_TICKET,
			member: { id: checked.memberId },
			timeStart: isoSeconds(checked.start),
			timeEnd: isoSeconds(checked.end),
		};
		if (input.billable) body.billableOption = BILLABLE_OPTION[input.billable];
		if (input.notes) body.notes = input.notes;
		if (input.internalNotes) body.internalNotes = input.internalNotes;
		if (input.workTypeId !== undefined && input.workTypeId !== null) body.workType = { id: recordId(input.workTypeId, 'work type', 'workType/id') };
		if (input.workRoleId !== undefined && input.workRoleId !== null) body.workRole = { id: recordId(input.workRoleId, 'work role', 'workRole/id') };
		const response = await this.client.request({ method: 'POST', path: '/time/entries', body });
		return readTimeEntry(response.body, 'POST /time/entries');
	}

	listTimeEntries(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaTimeEntry[]> {
		const id = recordId(ticketId, 'ticket', 'chargeToId');
		return this.list(
			'/time/entries',
			{
				conditions: allOf(cond.eq('chargeToType', CHARGE_TO_TICKET), cond.eq('chargeToId', id)),
				fields: fieldsParam(TIME_ENTRY_FIELDS),
				orderBy: query.newestFirst ? 'id desc' : 'id asc',
				limit: query.limit ?? DEFAULT_LIST_LIMIT,
			},
			(value) => readTimeEntry(value, 'GET /time/entries'),
		);
	}

	listChoices(kind: PsaWorkChoiceKind): Promise<PsaChoice[]> {
		const path = CHOICE_PATHS[kind];
		if (!path) throw new PsaError('invalid-input', `'${String(kind)}' is not a time entry choice (workType, workRole)`);
		return this.list(path, { conditions: cond.eq('inactiveFlag', false), fields: fieldsParam(['id', 'name', 'inactiveFlag']), orderBy: 'name asc', limit: DEFAULT_LIST_LIMIT }, (value) => {
			if (!isObject(value) || typeof value.id !== 'number') throw missing('id', `GET ${path}`);
			return { id: value.id, name: String(value.name ?? ''), inactive: value.inactiveFlag === true };
		});
	}
}

export function readTimeEntry(value: unknown, endpoint: string): PsaTimeEntry {
	if (!isObject(value) || typeof value.id !== 'number') throw missing('id', endpoint);
	if (typeof value.timeStart !== 'string') throw missing('timeStart', endpoint);
	const entry: PsaTimeEntry = {
		id: value.id,
		ticketId: typeof value.chargeToId === 'number' ? value.chargeToId : 0,
		start: value.timeStart,
		hours: typeof value.actualHours === 'number' ? value.actualHours : 0,
		notes: typeof value.notes === 'string' ? value.notes : '',
		internalNotes: typeof value.internalNotes === 'string' ? value.internalNotes : '',
	};
	if (typeof value.timeEnd === 'string') entry.end = value.timeEnd;
	const member = isObject(value.member) && typeof value.member.id === 'number' ? value.member.id : undefined;
	if (member !== undefined) entry.memberId = member;
	const billable = (Object.entries(BILLABLE_OPTION) as Array<[PsaBillable, string]>).find(([, option]) => option === value.billableOption)?.[0];
	if (billable) entry.billable = billable;
	if (isObject(value.workType) && typeof value.workType.id === 'number') entry.workTypeId = value.workType.id;
	if (isObject(value.workRole) && typeof value.workRole.id === 'number') entry.workRoleId = value.workRole.id;
	if (typeof value.dateEntered === 'string') entry.createdAt = value.dateEntered;
	return entry;
}
