// Status: set a ticket's status by name, id or mapped external state on the ticket's own board; close, reopen, get.
import { PsaError, isPsaError } from '../providers/errors';
import type { PsaStatus, PsaTicket } from '../providers/types';
import type { StatusMapping } from '../store/types';
import { connectionOf, type PsaServiceContext } from './context';
import { confirmOwnChange, recordOwnChange } from './echo';
import { forgetTicket, knownTicket, rememberTicket, type KnownTicketState } from './ticket-state';
import { ticketIdOf, type TicketRef } from './ticket-ref';
import { requireId, requireText } from './validation';

export type StatusChoice =
	| { by: 'name'; name: string }
	| { by: 'id'; statusId: number }
	| { by: 'external'; externalState: string };

export interface StatusOptions {
	/**
	 * Read the ticket from the PSA even when this process knows its board and status. Costs one request, and
	 * sees changes made in the PSA since this process last touched the ticket.
	 */
	readCurrent?: boolean;
}

export interface StatusResult {
	ticketId: number;
	changed: boolean;
	status: { id: number; name: string; closed: boolean };
	previousStatus: { id: number; name: string };
	board: { id: number; name: string };
	/** How the status was chosen: "name", "id", "status-map", "closed-status", "default-status"... */
	chosenBy: string;
	/** "cache" when the current status came from what this process last saw, "psa" when just read. */
	currentStatusFrom: 'cache' | 'psa';
}

interface Chosen {
	status: PsaStatus;
	chosenBy: string;
}

type Chooser = (statuses: PsaStatus[], board: { id: number; name: string }, connectionId: string) => Promise<Chosen>;

const normaliseState = (state: string): string => requireText(state, 'External state', 100).toLowerCase();

/**
 * Sets the status: 1 request (the PATCH) when the ticket's board is known here, plus 1 per board per cache TTL for its
 * statuses; a status that is already set according to memory costs 1 GET (to confirm it) and no PATCH.
 */
export async function setStatus(ctx: PsaServiceContext, ticket: TicketRef, choice: StatusChoice, options: StatusOptions = {}): Promise<StatusResult> {
	let chooser: Chooser;
	if (choice.by === 'name') {
		const name = requireText(choice.name, 'Status name', 100);
		chooser = async (statuses, board) => ({ status: byName(statuses, board, name), chosenBy: 'name' });
	} else if (choice.by === 'id') {
		const statusId = requireId(choice.statusId, 'Status ID');
		chooser = async (statuses, board) => ({ status: byId(statuses, board, statusId), chosenBy: 'id' });
	} else if (choice.by === 'external') {
		const externalState = normaliseState(choice.externalState);
		chooser = async (statuses, board, connectionId) => byExternalState(ctx, connectionId, statuses, board, externalState);
	} else {
		throw new PsaError('invalid-input', 'Choose the status by name, by id or by external state');
	}
	return apply(ctx, ticket, chooser, options);
}

/** Moves the ticket to its board's closed status: the status mapped to "closed", else the first active closed status. */
export async function closeTicket(ctx: PsaServiceContext, ticket: TicketRef, options: StatusOptions = {}): Promise<StatusResult> {
	return apply(
		ctx,
		ticket,
		async (statuses, board, connectionId) => {
			const mapped = await mappedStatus(ctx, connectionId, statuses, board, 'closed');
			if (mapped) return mapped;
			const closed = active(statuses).filter((status) => status.closed);
			if (closed.length === 0) {
				throw new PsaError('configuration', `Board "${board.name}" has no active closed status`, {
					hint: 'Add a closed status to the board in the PSA, or map "closed" with PSA Status > Map External State.',
				});
			}
			return { status: closed[0], chosenBy: 'closed-status' };
		},
		options,
	);
}

/** Moves the ticket to its board's default (open) status, or the status mapped to "open". */
export async function reopenTicket(ctx: PsaServiceContext, ticket: TicketRef, options: StatusOptions = {}): Promise<StatusResult> {
	return apply(
		ctx,
		ticket,
		async (statuses, board, connectionId) => {
			const mapped = await mappedStatus(ctx, connectionId, statuses, board, 'open');
			if (mapped) return mapped;
			const open = active(statuses).filter((status) => !status.closed);
			const chosen = open.find((status) => status.isDefault) ?? open[0];
			if (!chosen) {
				throw new PsaError('configuration', `Board "${board.name}" has no active open status`, {
					hint: 'Add an open status to the board in the PSA, or map "open" with PSA Status > Map External State.',
				});
			}
			return { status: chosen, chosenBy: chosen.isDefault ? 'default-status' : 'first-open-status' };
		},
		options,
	);
}

/** Reads the ticket's status from the PSA (1 request). */
export async function getTicketStatus(ctx: PsaServiceContext, ticket: TicketRef): Promise<{
	ticketId: number;
	status: { id: number; name: string };
	board: { id: number; name: string };
	closed: boolean;
	ticket: PsaTicket;
}> {
	const ticketId = await ticketIdOf(ctx, ticket);
	const connectionId = await connectionOf(ctx);
	const current = await ctx.provider.getTicket(ticketId);
	rememberTicket(ctx.cache, connectionId, current);
	return { ticketId, status: current.status, board: current.board, closed: current.closed, ticket: current };
}

/** Fills the status map: an external state (e.g. "resolved") means this status on this board. */
export async function mapExternalState(
	ctx: PsaServiceContext,
	input: { boardId: number; externalState: string; status: { by: 'name'; name: string } | { by: 'id'; statusId: number } },
): Promise<StatusMapping> {
	const boardId = requireId(input.boardId, 'Board ID');
	const externalState = normaliseState(input.externalState);
	const connectionId = await connectionOf(ctx);
	const statuses = await ctx.provider.listStatuses(boardId);
	const board = { id: boardId, name: `board ${boardId}` };
	const status =
		input.status.by === 'name'
			? byName(statuses, board, requireText(input.status.name, 'Status name', 100))
			: byId(statuses, board, requireId(input.status.statusId, 'Status ID'));
	const mapping = await ctx.store.statusMap.set({ connectionId, boardId, externalState, statusId: status.id, statusName: status.name });
	await ctx.store.audit.record(connectionId, 'status-map.set', { boardId, externalState, statusId: status.id });
	return mapping;
}

export async function listStatusMappings(ctx: PsaServiceContext, boardId?: number): Promise<StatusMapping[]> {
	const connectionId = await connectionOf(ctx);
	return ctx.store.statusMap.list(connectionId, boardId);
}

async function apply(ctx: PsaServiceContext, ticket: TicketRef, choose: Chooser, options: StatusOptions): Promise<StatusResult> {
	const ticketId = await ticketIdOf(ctx, ticket);
	const connectionId = await connectionOf(ctx);
	let readFromPsa = options.readCurrent === true;
	for (;;) {
		const remembered = readFromPsa ? undefined : knownTicket(ctx.cache, connectionId, ticketId);
		const current = remembered ?? (await readTicket(ctx, connectionId, ticketId));
		const fromPsa: 'cache' | 'psa' = remembered ? 'cache' : 'psa';
		const board = { id: current.boardId, name: current.boardName };
		const statuses = await ctx.provider.listStatuses(board.id);
		const { status, chosenBy } = await choose(statuses, board, connectionId);
		const result = {
			ticketId,
			status: { id: status.id, name: status.name, closed: status.closed },
			previousStatus: { id: current.statusId, name: current.statusName },
			board,
			chosenBy,
			currentStatusFrom: fromPsa,
		};
		if (status.id === current.statusId) {
			// Memory may be stale (a technician moved the ticket, or another process saw the change): "no change" is
			// confirmed by the PSA before nothing is sent. A real change needs no read: the PATCH is checked by the PSA.
			if (fromPsa === 'cache') {
				readFromPsa = true;
				continue;
			}
			return { ...result, changed: false };
		}
		try {
			// Recorded first: the PSA's callback for this change may reach the trigger before the response reaches us.
			// The record is also the change's audit event (one row per change).
			const ownChange = { change: 'status' as const, statusId: status.id, previousStatusId: current.statusId };
			await recordOwnChange(ctx, ticketId, ownChange);
			const updated = await ctx.provider.updateTicketStatus(ticketId, status.id);
			await confirmOwnChange(ctx, ticketId, ownChange, updated.updatedBy);
			rememberTicket(ctx.cache, connectionId, updated);
			return { ...result, changed: true };
		} catch (error) {
			// The PSA refusing a status chosen from what this process remembered means the ticket moved (e.g. to another board): read it and choose again.
			if (fromPsa === 'cache' && isPsaError(error) && (error.kind === 'invalid-input' || error.kind === 'conflict')) {
				forgetTicket(ctx.cache, connectionId, ticketId);
				readFromPsa = true;
				continue;
			}
			throw error;
		}
	}
}

async function readTicket(ctx: PsaServiceContext, connectionId: string, ticketId: number): Promise<KnownTicketState> {
	const ticket = await ctx.provider.getTicket(ticketId);
	rememberTicket(ctx.cache, connectionId, ticket);
	return {
		boardId: ticket.board.id,
		boardName: ticket.board.name,
		statusId: ticket.status.id,
		statusName: ticket.status.name,
		closed: ticket.closed,
	};
}

function active(statuses: PsaStatus[]): PsaStatus[] {
	return statuses.filter((status) => !status.inactive).sort((a, b) => a.sortOrder - b.sortOrder);
}

function validList(statuses: PsaStatus[]): string {
	return active(statuses)
		.map((status) => `"${status.name}" (${status.id})`)
		.join(', ');
}

function notOnBoard(what: string, statuses: PsaStatus[], board: { id: number; name: string }): PsaError {
	return new PsaError('invalid-input', `${what} is not an active status of board "${board.name}"`, {
		hint: `Valid statuses on this board: ${validList(statuses)}.`,
	});
}

function byName(statuses: PsaStatus[], board: { id: number; name: string }, name: string): PsaStatus {
	const wanted = name.trim().toLowerCase();
	const match = active(statuses).find((status) => status.name.trim().toLowerCase() === wanted);
	if (!match) throw notOnBoard(`Status "${name}"`, statuses, board);
	return match;
}

function byId(statuses: PsaStatus[], board: { id: number; name: string }, statusId: number): PsaStatus {
	const match = active(statuses).find((status) => status.id === statusId);
	if (!match) throw notOnBoard(`Status id ${statusId}`, statuses, board);
	return match;
}

async function mappedStatus(
	ctx: PsaServiceContext,
	connectionId: string,
	statuses: PsaStatus[],
	board: { id: number; name: string },
	externalState: string,
): Promise<Chosen | undefined> {
	const mapping = await ctx.store.statusMap.get(connectionId, board.id, externalState);
	if (!mapping) return undefined;
	const status = active(statuses).find((candidate) => candidate.id === mapping.statusId);
	if (!status) {
		throw new PsaError(
			'configuration',
			`External state "${externalState}" is mapped to status "${mapping.statusName}" (${mapping.statusId}), which is no longer an active status of board "${board.name}"`,
			{ hint: `Map it again with PSA Status > Map External State. Valid statuses: ${validList(statuses)}.` },
		);
	}
	return { status, chosenBy: 'status-map' };
}

async function byExternalState(
	ctx: PsaServiceContext,
	connectionId: string,
	statuses: PsaStatus[],
	board: { id: number; name: string },
	externalState: string,
): Promise<Chosen> {
	const mapped = await mappedStatus(ctx, connectionId, statuses, board, externalState);
	if (mapped) return mapped;
	// Unmapped states fall back to a status of the same name, so "resolved" works on a board with a "Resolved" status.
	const sameName = active(statuses).find((status) => status.name.trim().toLowerCase() === externalState);
	if (sameName) return { status: sameName, chosenBy: 'status-name' };
	throw new PsaError('not-found', `External state "${externalState}" is not mapped to a status of board "${board.name}"`, {
		hint: `Map it with PSA Status > Map External State. Valid statuses on this board: ${validList(statuses)}.`,
	});
}
