// PSA Link > Alert Event: one alert event (firing / resolved) through the whole lifecycle: maintenance windows, flapping, find-or-create, the count on the ticket, recovery.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { PsaError } from '../../../lib/providers/errors';
import { handleAlertEvent, type OccurrenceTarget, type RecoveryPolicy } from '../../../lib/services/alert';
import type { PsaServiceContext } from '../../../lib/services/context';
import type { AlertState } from '../../../lib/services/flapping';
import { plain, readLinkTarget } from '../../shared/descriptions';
import { optionalText } from '../../shared/parameters';
import { readLinkOptions, readTicketFields } from './link.operation';

const show = { operation: ['event'] };

/** Words monitoring tools use for the two states (PagerDuty trigger / resolve, Zabbix PROBLEM / OK, Grafana alerting / ok...). */
const FIRING = ['firing', 'trigger', 'triggered', 'problem', 'alerting', 'alert', 'open', 'down', 'critical', 'warning'];
const RESOLVED = ['resolved', 'resolve', 'ok', 'recovered', 'recovery', 'up', 'cleared', 'closed', 'normal'];

export const description: INodeProperties[] = [
	{
		displayName: 'Alert State',
		name: 'alertState',
		type: 'string',
		default: 'firing',
		required: true,
		placeholder: 'e.g. {{ $json.status }}',
		description:
			'Firing or resolved. Common words are understood: trigger, problem, alerting, down mean firing; resolve, ok, recovered, up, cleared mean resolved.',
		displayOptions: { show },
	},
	{
		displayName: 'On Recovery',
		name: 'onRecovery',
		type: 'options',
		default: 'close-if-untouched',
		description: 'What a resolved event does to the linked ticket',
		displayOptions: { show },
		options: [
			{
				name: 'Close If No Person Touched It, Else Add a Note',
				value: 'close-if-untouched',
				description: 'Close the ticket when its last change is the package\'s own; when a technician changed it (a status, a note, time), add a "recovered" note and leave it open',
			},
			{ name: 'Add a Note Only', value: 'note', description: 'Add the "recovered" note and leave the ticket as it is' },
			{ name: 'Do Nothing', value: 'nothing' },
		],
	},
	{
		displayName: 'Alert Options',
		name: 'alertOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Flapping Changes',
				name: 'flappingChanges',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'An alert that changes state (fires or recovers) this often within the minutes below is flapping: its ticket is noted once and neither opened nor closed until the alert is quiet (0: off)',
			},
			{
				displayName: 'Flapping Within (Minutes)',
				name: 'flappingWithinMinutes',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 10,
			},
			{
				displayName: 'Flapping Quiet Period (Minutes)',
				name: 'flappingQuietMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 15,
				description: 'Normal handling resumes with the first event after this long without a state change',
			},
			{
				displayName: 'Recovered Note',
				name: 'recoveredNote',
				type: 'string',
				typeOptions: { rows: 2 },
				default: '',
				description: 'The note a recovery adds when it does not close the ticket; empty: "Alert recovered at <time>" with the reason',
			},
			{
				displayName: 'Write Occurrences To',
				name: 'occurrencesTo',
				type: 'options',
				default: 'none',
				description: 'At each repeat of a firing alert, write how often it occurred onto the ticket (one request per repeat)',
				options: [
					{ name: 'Nowhere', value: 'none', description: 'The count is in the output and the state store only' },
					{ name: 'Summary Suffix', value: 'summary', description: 'The summary ends with "(7 occurrences)"' },
					{ name: 'Custom Field', value: 'custom-field', description: 'A number or text custom field (Autotask: a UDF) named below' },
				],
			},
			{
				displayName: 'Occurrences Custom Field',
				name: 'occurrencesField',
				type: 'string',
				default: '',
				placeholder: 'e.g. Alert Occurrences',
				description: 'The custom field\'s name (ConnectWise caption, Autotask UDF name) for Write Occurrences To: Custom Field',
			},
		],
	},
];

export function alertStateOf(value: unknown): AlertState {
	const word = String(value ?? '').trim().toLowerCase();
	if (FIRING.includes(word)) return 'firing';
	if (RESOLVED.includes(word)) return 'resolved';
	throw new PsaError('invalid-input', `Alert State "${String(value)}" is neither firing nor resolved`, {
		hint: `Give "firing" or "resolved" (or map the tool's words with an expression). Understood as firing: ${FIRING.join(', ')}; as resolved: ${RESOLVED.join(', ')}.`,
	});
}

function occurrencesOf(options: IDataObject): OccurrenceTarget {
	const to = options.occurrencesTo ?? 'none';
	if (to === 'summary') return { to: 'summary' };
	if (to === 'custom-field') {
		const field = optionalText(options.occurrencesField, 'Occurrences Custom Field');
		if (!field) throw new PsaError('invalid-input', 'Write Occurrences To: Custom Field needs the custom field\'s name', { hint: 'Set Occurrences Custom Field, e.g. "Alert Occurrences".' });
		return { to: 'custom-field', field };
	}
	return { to: 'none' };
}

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const options = this.getNodeParameter('alertOptions', itemIndex, {}) as IDataObject;
	const changes = Number(options.flappingChanges ?? 0);
	const result = await handleAlertEvent(
		ctx,
		{ target: readLinkTarget(this, itemIndex), state: alertStateOf(this.getNodeParameter('alertState', itemIndex, 'firing')), fields: readTicketFields(this, itemIndex) },
		{
			...readLinkOptions(this, itemIndex),
			onRecovery: this.getNodeParameter('onRecovery', itemIndex, 'close-if-untouched') as RecoveryPolicy,
			recoveredNote: optionalText(options.recoveredNote, 'Recovered Note'),
			occurrences: occurrencesOf(options),
			...(changes > 0
				? { flapping: { changes, withinMinutes: Number(options.flappingWithinMinutes ?? 10), quietMinutes: Number(options.flappingQuietMinutes ?? 15) } }
				: {}),
		},
	);
	return plain(result) as IDataObject;
}
