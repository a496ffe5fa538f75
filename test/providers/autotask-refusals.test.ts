// A generic .NET 500 (which may come after the ticket or note was committed) on a create stays outcome-unknown: only
// Autotask's exact refusal messages say nothing was done (else a claim is released and the next call creates again).
import { PsaCache } from '../../lib/cache';
import { AutotaskProvider } from '../../lib/providers/autotask';
import { isPsaError } from '../../lib/providers/errors';
import type { HttpRequest, HttpResponse } from '../../lib/providers/http';
import { resetLimiters } from '../../lib/providers/limiter';
import { isOutcomeUnknown } from '../../lib/services/link';

const FIELDS = {
	fields: [
		{ name: 'status', isPickList: true, picklistValues: [{ value: '1', label: 'New', isActive: true, isDefaultValue: true }, { value: '5', label: 'Complete', isActive: true }] },
		{ name: 'priority', isPickList: true, picklistValues: [{ value: '2', label: 'Medium', isActive: true, isDefaultValue: true }] },
		{ name: 'queueID', isPickList: true, picklistValues: [{ value: '8', label: 'Triage', isActive: true }] },
		{ name: 'noteType', isPickList: true, picklistValues: [{ value: '1', label: 'Note', isActive: true, isDefaultValue: true }] },
	],
};

function provider(postAnswer: HttpResponse, log: HttpRequest[]) {
	return new AutotaskProvider(
		{ username: 'api@example.com', secret: 'TopSecret123', integrationCode: 'TRACKINGCODE77', zoneUrl: 'https://webservices5.autotask.net/ATServicesRest/' },
		{
			http: async (request) => {
				log.push(request);
				if (request.method === 'GET' && /entityInformation\/fields/i.test(request.url)) return { status: 200, headers: {}, body: FIELDS };
				if (request.method === 'POST' && /\/Tickets(\/\d+\/Notes)?$/.test(request.url)) return postAnswer;
				return { status: 200, headers: {}, body: { items: [], pageDetails: {} } };
			},
			cache: new PsaCache(),
			sleep: async () => undefined,
		},
	);
}

beforeEach(() => resetLimiters());

// Default .NET exception messages that an unhandled failure after the INSERT (a post-save hook, webhook fan-out, disposed
// connection) produces as a 500 with {"errors":[...]}: none of them says the request was refused before any work.
const POST_COMMIT_500S = [
	'Operation is not valid due to the current state of the object.', // InvalidOperationException default text -> /not valid/
	'Value cannot be null. (Parameter \'source\')', // ArgumentNullException default text -> /cannot be/
	'The transaction operation cannot be performed because there are pending requests working on this transaction.', // SqlException -> /cannot be/
	'Index was outside the bounds of the array. The index must be non-negative.', // -> /must be/
];

describe.each(POST_COMMIT_500S)('500 %s', (message) => {
	it('POST /Tickets: the outcome must stay unknown (else the claim is released and a second ticket is created)', async () => {
		const log: HttpRequest[] = [];
		const psa = provider({ status: 500, headers: {}, body: { errors: [message] } }, log);
		const error = await psa.createTicket({ summary: 'disk full', companyId: 0, externalRef: 'zbx:host-1' }).catch((caught: unknown) => caught);
		expect(isPsaError(error)).toBe(true);
		expect(isOutcomeUnknown(error)).toBe(true);
	});

	it('POST /Tickets/{id}/Notes: the outcome must stay unknown (else the note receipt is given back and the note posted twice)', async () => {
		const log: HttpRequest[] = [];
		const psa = provider({ status: 500, headers: {}, body: { errors: [message] } }, log);
		const error = await psa.addNote({ ticketId: 7, text: 'hello', type: 'internal' }).catch((caught: unknown) => caught);
		expect(isPsaError(error)).toBe(true);
		expect(isOutcomeUnknown(error)).toBe(true);
	});
});
