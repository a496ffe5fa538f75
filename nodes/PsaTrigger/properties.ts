// The parameters PSA Trigger (callbacks) and PSA Catch-Up Trigger (polling) share: which events, the filters, the options; one definition so both decide alike.
import type { INodeProperties } from 'n8n-workflow';

const maxEventAge: INodeProperties = {
	displayName: 'Max Event Age (Minutes)',
	name: 'maxEventAgeMinutes',
	type: 'number',
	typeOptions: { minValue: 0 },
	default: 15,
	description: 'Ignore callbacks whose ticket was last saved longer ago than this (a replayed old payload). 0 turns the check off.',
};

/** `callbacks`: the PSA Trigger's own (deletes and the replay age limit come only by callback). */
export function triggerProperties(spec: { callbacks: boolean }): INodeProperties[] {
	return [
		{
			displayName: 'Events',
			name: 'events',
			type: 'multiOptions',
			required: true,
			options: [
				{ name: 'Ticket Added', value: 'added', description: 'A ticket was created' },
				// A search finds only tickets that exist: a deleted one leaves nothing for the catch-up to see.
				...(spec.callbacks ? [{ name: 'Ticket Deleted', value: 'deleted', description: 'A ticket was deleted' }] : []),
				{ name: 'Ticket Updated', value: 'updated', description: 'A ticket was saved: status, fields or a new note' },
			],
			default: ['added', 'updated'],
		},
		{
			displayName: 'Board',
			name: 'boardId',
			type: 'resourceLocator',
			default: { mode: 'list', value: '' },
			description: 'Only tickets on this board (a queue, in PSAs that call it so). Empty: every board. A PSA that can narrow its callbacks is asked for this board\'s tickets only; one that cannot sends every ticket and the trigger filters.',
			modes: [
				{
					displayName: 'From List',
					name: 'list',
					type: 'list',
					typeOptions: { searchListMethod: 'searchBoards', searchable: true },
				},
				{
					displayName: 'By ID',
					name: 'id',
					type: 'string',
					placeholder: 'e.g. 1',
					validation: [{ type: 'regex', properties: { regex: '^\\d+$', errorMessage: 'A board ID is a whole number' } }],
				},
			],
		},
		{
			displayName: 'Status Names or IDs',
			name: 'statusIds',
			type: 'multiOptions',
			// Board is a resource locator: the editor reloads statuses only when a dependency names its value.
			typeOptions: { loadOptionsMethod: 'getBoardStatuses', loadOptionsDependsOn: ['boardId.value'] },
			default: [],
			description:
				'Only tickets in these statuses of the board (needs a board). Empty: any status. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		{
			displayName: 'Company',
			name: 'companyId',
			type: 'resourceLocator',
			default: { mode: 'list', value: '' },
			description: 'Only tickets of this company. Empty: every company.',
			modes: [
				{
					displayName: 'From List',
					name: 'list',
					type: 'list',
					typeOptions: { searchListMethod: 'searchCompanies', searchable: true },
				},
				{
					displayName: 'By ID',
					name: 'id',
					type: 'string',
					placeholder: 'e.g. 250',
					validation: [{ type: 'regex', properties: { regex: '^\\d+$', errorMessage: 'A company ID is a whole number' } }],
				},
			],
		},
		{
			displayName: 'Ticket State',
			name: 'ticketState',
			type: 'options',
			options: [
				{ name: 'Any', value: 'any' },
				{ name: 'Open', value: 'open', description: 'Only tickets in a status that is not closed' },
				{ name: 'Closed', value: 'closed', description: 'Only tickets in a closed status (e.g. Resolved, Closed), on any board' },
			],
			default: 'any',
		},
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [
				{
					displayName: 'Echo Window (Seconds)',
					name: 'echoWindowSeconds',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 120,
					description: 'How long after a change made by this package\'s nodes an event for the same ticket counts as that change',
				},
				{
					displayName: 'Ignore Own Changes',
					name: 'ignoreOwnChanges',
					type: 'boolean',
					default: true,
					description: 'Whether changes made by this package\'s nodes (PSA Link, Note, Status) are ignored, so a workflow that updates a ticket does not trigger itself',
				},
				{
					displayName: 'Include Raw Entity',
					name: 'includeEntity',
					type: 'boolean',
					default: false,
					description: 'Whether the output holds the ticket exactly as the PSA sent it, with fields the node does not read',
				},
				{
					displayName: 'Linked Tickets Only',
					name: 'linkedOnly',
					type: 'boolean',
					default: false,
					description: 'Whether only tickets linked to an external entity (by PSA Link) start the workflow',
				},
				// A change the catch-up finds is old by nature; the age limit guards callbacks against replays.
				...(spec.callbacks ? [maxEventAge] : []),
			],
		},
	];
}
