// The scale test's verdict, read from a PSA sandbox's records and the package's PostgreSQL store: one ticket per entity, one note per alert, the right statuses.
import { Client } from 'pg';

import type { Sandbox } from '../sandbox';
import type { AutotaskSandbox } from '../sandbox/autotask';
import { SOURCE, type Alert } from './workload';

/** What a PSA sandbox holds, in the terms the checks compare: tickets with their external reference and status name, notes. */
export interface PsaRecords {
	tickets: Array<{ id: number; reference?: string; statusName?: string }>;
	notes: Array<{ ticketId: number; text: string }>;
}

export function connectWiseRecords(sandbox: Sandbox): PsaRecords {
	return {
		tickets: sandbox.db.tickets.map((ticket) => ({ id: ticket.id, reference: ticket.externalXRef ?? undefined, statusName: ticket.status?.name })),
		notes: sandbox.db.notes.map((note) => ({ ticketId: note.ticketId, text: note.text })),
	};
}

/** Autotask: the reference is externalID, the status a picklist value (its label is the name PSA Status sets), a note's text its description. */
export function autotaskRecords(sandbox: AutotaskSandbox): PsaRecords {
	const statuses = new Map((sandbox.db.picklists.Tickets?.status ?? []).map((value) => [Number(value.value), value.label]));
	return {
		tickets: sandbox.db.tickets.map((ticket) => ({
			id: ticket.id,
			reference: typeof ticket.externalID === 'string' ? ticket.externalID : undefined,
			statusName: statuses.get(ticket.status),
		})),
		notes: sandbox.db.notes.map((note) => ({ ticketId: note.ticketID, text: note.description })),
	};
}

export interface RecordCounts {
	entities: number;
	tickets: number;
	duplicateTickets: number;
	missingTickets: string[];
	alerts: number;
	notes: number;
	duplicateNotes: string[];
	missingNotes: string[];
	wrongStatus: string[];
	storeLinks: Record<string, number>;
	storeMismatches: string[];
	noteReceipts: Record<string, number>;
}

/**
 * Compares what the PSA holds with what the alerts asked for; every list is empty when the run was exactly-once. The
 * store's rows are those of the alerts' entities and of the connection(s) their links belong to, so two PSAs (two
 * connections) in one store are counted apart.
 */
export async function countRecords(records: PsaRecords, alerts: Alert[], store: { url: string; schema: string }): Promise<RecordCounts> {
	const byAlert = new Map(alerts.map((alert) => [alert.alertId, alert]));
	const entities = new Map<string, Alert>();
	for (const alert of byAlert.values()) entities.set(alert.entity, alert);

	const ticketsByEntity = new Map<string, number[]>();
	for (const ticket of records.tickets) {
		if (!ticket.reference?.startsWith(`${SOURCE}:`)) continue;
		const entity = ticket.reference.slice(SOURCE.length + 1);
		if (!entities.has(entity)) continue;
		ticketsByEntity.set(entity, [...(ticketsByEntity.get(entity) ?? []), ticket.id]);
	}
	const tickets = [...ticketsByEntity.values()].reduce((sum, ids) => sum + ids.length, 0);
	const duplicateTickets = [...ticketsByEntity.values()].reduce((sum, ids) => sum + ids.length - 1, 0);
	const missingTickets = [...entities.keys()].filter((entity) => !ticketsByEntity.has(entity));

	// Each alert's text is unique; the ticket's description note (from the create) never matches it.
	const notesByText = new Map<string, Array<{ ticketId: number }>>();
	for (const note of records.notes) {
		if (!note.text.startsWith('Alert ')) continue;
		notesByText.set(note.text, [...(notesByText.get(note.text) ?? []), note]);
	}
	const duplicateNotes: string[] = [];
	const missingNotes: string[] = [];
	let notes = 0;
	for (const alert of byAlert.values()) {
		const found = notesByText.get(alert.text) ?? [];
		const ticketIds = ticketsByEntity.get(alert.entity) ?? [];
		const onTicket = found.filter((note) => ticketIds.includes(note.ticketId));
		notes += found.length;
		if (found.length === 0) missingNotes.push(alert.alertId);
		else if (found.length > 1 || onTicket.length !== 1) duplicateNotes.push(`${alert.alertId} (${found.length} notes, ${onTicket.length} on its ticket)`);
	}

	const wrongStatus: string[] = [];
	for (const [entity, alert] of entities) {
		for (const id of ticketsByEntity.get(entity) ?? []) {
			const ticket = records.tickets.find((candidate) => candidate.id === id);
			if (ticket?.statusName !== alert.status) wrongStatus.push(`${entity} #${id}: ${ticket?.statusName} (expected ${alert.status})`);
		}
	}

	const client = new Client({ connectionString: store.url, connectionTimeoutMillis: 10_000 });
	await client.connect();
	const storeLinks: Record<string, number> = {};
	const storeMismatches: string[] = [];
	const noteReceipts: Record<string, number> = {};
	try {
		const links = await client.query<{ connection_id: string; external_id: string; state: string; ticket_id: string | null }>(
			`select connection_id, external_id, state, ticket_id from "${store.schema}".psa_ticket_links where source = $1 and external_id = any($2)`,
			[SOURCE, [...entities.keys()]],
		);
		const connections = [...new Set(links.rows.map((row) => row.connection_id))];
		for (const row of links.rows) {
			storeLinks[row.state] = (storeLinks[row.state] ?? 0) + 1;
			const ids = ticketsByEntity.get(row.external_id) ?? [];
			if (ids.length !== 1 || Number(row.ticket_id) !== ids[0]) storeMismatches.push(`${row.external_id}: store #${row.ticket_id} (${row.state}), PSA ${ids.join(', ') || 'none'}`);
		}
		const receipts = await client.query<{ state: string; count: string }>(
			`select state, count(*) as count from "${store.schema}".psa_note_receipts where connection_id = any($1) group by state`,
			[connections],
		);
		for (const row of receipts.rows) noteReceipts[row.state] = Number(row.count);
	} finally {
		await client.end();
	}

	return {
		entities: entities.size,
		tickets,
		duplicateTickets,
		missingTickets,
		alerts: byAlert.size,
		notes,
		duplicateNotes,
		missingNotes,
		wrongStatus,
		storeLinks,
		storeMismatches,
		noteReceipts,
	};
}

/** The failures in a count, as sentences; empty when all is well. */
export function problems(counts: RecordCounts): string[] {
	const out: string[] = [];
	const list = (items: string[]) => items.slice(0, 8).join('; ') + (items.length > 8 ? `; … ${items.length - 8} more` : '');
	if (counts.duplicateTickets > 0) out.push(`${counts.duplicateTickets} duplicate tickets`);
	if (counts.missingTickets.length > 0) out.push(`${counts.missingTickets.length} entities without a ticket: ${list(counts.missingTickets)}`);
	if (counts.duplicateNotes.length > 0) out.push(`${counts.duplicateNotes.length} alerts with more than one note: ${list(counts.duplicateNotes)}`);
	if (counts.missingNotes.length > 0) out.push(`${counts.missingNotes.length} alerts without a note: ${list(counts.missingNotes)}`);
	if (counts.wrongStatus.length > 0) out.push(`${counts.wrongStatus.length} tickets in the wrong status: ${list(counts.wrongStatus)}`);
	if ((counts.storeLinks.linked ?? 0) !== counts.entities) out.push(`the store holds links ${JSON.stringify(counts.storeLinks)}; expected ${counts.entities} linked`);
	if (counts.storeMismatches.length > 0) out.push(`store and PSA disagree: ${list(counts.storeMismatches)}`);
	if ((counts.noteReceipts.posted ?? 0) !== counts.alerts || Object.keys(counts.noteReceipts).length !== 1) {
		out.push(`the store holds note receipts ${JSON.stringify(counts.noteReceipts)}; expected ${counts.alerts} posted`);
	}
	return out;
}
