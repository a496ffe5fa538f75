// Maintenance windows: declared per company or per source / entity pattern, kept in the state store; alerts inside one are held (recorded, counted, no ticket) and released once when it ends.
import { randomUUID } from 'node:crypto';
import { PsaError } from '../providers/errors';
import type { AuditEvent } from '../store/types';
import { connectionOf, type PsaServiceContext } from './context';
import { entityHash, type AlertState } from './flapping';
import { link, type LinkOptions, type TicketFields } from './link';
import { normaliseTarget, type LinkTarget } from './link-lookup';
import { requireText } from './validation';

export interface MaintenanceWindowInput {
	/** Letters, digits, '.', '_' and '-'; a new id is made when absent. Setting an existing id replaces that window. */
	id?: string;
	name?: string;
	/** Only alerts whose ticket would be for this company. */
	companyId?: number;
	/** Only alerts whose source matches ('*' any text, '?' one character; case does not matter). */
	sourcePattern?: string;
	/** Only alerts whose external id matches. */
	externalIdPattern?: string;
	startsAt: string | number | Date;
	endsAt: string | number | Date;
}

export interface MaintenanceWindow {
	id: string;
	name: string;
	companyId: number | null;
	sourcePattern: string | null;
	externalIdPattern: string | null;
	startsAt: string;
	endsAt: string;
	/** 'scheduled' before it starts, 'active' during it, 'ended' once over and not yet released, 'released' after. */
	state: 'scheduled' | 'active' | 'ended' | 'released';
}

/** What a release did with one window's held alerts. */
export interface WindowRelease {
	windowId: string;
	name: string;
	endedAt: string;
	/** False when another run holds this window's release right now (it reports the window itself). */
	released: boolean;
	/** Alerts still firing at the end: their ticket, created once (or found: the entity may have been linked before). */
	tickets: Array<{ source: string; externalId: string; ticketId: number; created: boolean; heldEvents: number }>;
	/** Alerts that recovered inside the window: dropped, no ticket. */
	dropped: Array<{ source: string; externalId: string; heldEvents: number }>;
	/** Alerts whose ticket could not be created; the next release tries them again. */
	failed: Array<{ source: string; externalId: string; heldEvents: number; error: string }>;
}

/** What an event held in a window keeps, to create its ticket when the window ends. */
export interface HeldAlert {
	target: LinkTarget;
	state: AlertState;
	fields: TicketFields;
	options: Pick<LinkOptions, 'whenClosed' | 'reopenWithinHours'>;
}

const WINDOW_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** A release is one run's for this long; a run that died holding it is replaced after it. */
export const RELEASE_LEASE_MS = 5 * 60 * 1000;
const windowAction = (id: string) => `window:${id}`;
const heldPrefix = (id: string) => `window.held:${id}:`;
const releasedAction = (id: string, hash: string) => `window.released:${id}:${hash}`;
const doneAction = (id: string) => `window.done:${id}`;
// Ends with a separator (window ids hold no ':'): a lease is given back by a prefix prune, which must not also take
// the lease of a window whose id merely starts with this one's ("night" and "night-2").
const leaseAction = (id: string) => `window.lease:${id}:`;

function timeOf(value: unknown, what: string): number {
	const time = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Date.parse(value) : Number.NaN;
	if (!Number.isFinite(time)) {
		throw new PsaError('invalid-input', `${what} must be a date and time, got ${JSON.stringify(value)}`, { hint: 'Give an ISO 8601 time such as 2026-05-01T22:00:00Z, or use an expression like {{ $now.plus(2, "hours") }}.' });
	}
	return time;
}

function optionalPattern(value: unknown, what: string): string | null {
	if (value === undefined || value === null || String(value).trim() === '') return null;
	return requireText(value, what, 200);
}

/** Declares (or replaces, by id) a window; 0 requests. */
export async function setWindow(ctx: PsaServiceContext, input: MaintenanceWindowInput): Promise<MaintenanceWindow> {
	const id = input.id === undefined || String(input.id).trim() === '' ? randomUUID() : String(input.id).trim();
	if (!WINDOW_ID.test(id)) {
		throw new PsaError('invalid-input', `Window ID "${id}" may hold letters, digits, ".", "_" and "-" only (64 at most)`, { hint: 'e.g. patch-night-2026-05, or leave it empty for a new id.' });
	}
	const startsAt = timeOf(input.startsAt, 'Starts At');
	const endsAt = timeOf(input.endsAt, 'Ends At');
	if (endsAt <= startsAt) throw new PsaError('invalid-input', 'Ends At must be after Starts At', { hint: 'A window ends after it starts: check both times and their time zones.' });
	const companyId = input.companyId === undefined || input.companyId === null || (input.companyId as unknown) === '' ? null : Number(input.companyId);
	if (companyId !== null && !(Number.isSafeInteger(companyId) && companyId > 0)) {
		throw new PsaError('invalid-input', `Company ID must be a whole number, got ${JSON.stringify(input.companyId)}`, { hint: 'Choose the company, or leave it empty for every company.' });
	}
	const sourcePattern = optionalPattern(input.sourcePattern, 'Source Pattern');
	const externalIdPattern = optionalPattern(input.externalIdPattern, 'External ID Pattern');
	if (companyId === null && sourcePattern === null && externalIdPattern === null) {
		throw new PsaError('invalid-input', 'A maintenance window needs a company, a source pattern or an external ID pattern', {
			hint: 'Say which alerts it holds: e.g. the company under maintenance, or Source Pattern "zabbix" with External ID Pattern "web01*". Use "*" to hold every alert.',
		});
	}
	const connectionId = await connectionOf(ctx);
	if ((await ctx.store.audit.findRecent(connectionId, doneAction(id), 0)).length > 0) {
		throw new PsaError('invalid-input', `Maintenance window "${id}" has ended and was released`, { hint: 'Give the new window another ID (or leave the ID empty for a new one).' });
	}
	const detail = {
		id,
		name: input.name?.trim() ? requireText(input.name, 'Name', 200) : id,
		companyId,
		sourcePattern,
		externalIdPattern,
		startsAt: new Date(startsAt).toISOString(),
		endsAt: new Date(endsAt).toISOString(),
	};
	await ctx.store.audit.record(connectionId, windowAction(id), detail);
	return { ...detail, state: stateOf(detail, ctx.now(), false) };
}

/** The windows (newest version of each, deleted ones left out), with their state; 0 requests. */
export async function listWindows(ctx: PsaServiceContext, filter: { includeReleased?: boolean } = {}): Promise<MaintenanceWindow[]> {
	const connectionId = await connectionOf(ctx);
	const latest = new Map<string, AuditEvent>();
	// Newest first: the first record of an id is its current version (or its deletion).
	for (const record of await ctx.store.audit.findByPrefix(connectionId, 'window:', 0, { limit: 10_000 })) {
		if (!latest.has(record.action)) latest.set(record.action, record);
	}
	const windows: MaintenanceWindow[] = [];
	for (const record of latest.values()) {
		if (record.detail.deleted === true || typeof record.detail.id !== 'string') continue;
		const detail = record.detail as unknown as Omit<MaintenanceWindow, 'state'>;
		// A window id is released once: setting a released id again declares nothing new (give a new id).
		const released = (await ctx.store.audit.findRecent(connectionId, doneAction(detail.id), 0)).length > 0;
		const window = { ...windowOf(detail), state: stateOf(detail, ctx.now(), released) };
		if (filter.includeReleased !== false || window.state !== 'released') windows.push(window);
	}
	return windows.sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id));
}

function windowOf(detail: Omit<MaintenanceWindow, 'state'>): Omit<MaintenanceWindow, 'state'> {
	return {
		id: detail.id,
		name: detail.name,
		companyId: detail.companyId ?? null,
		sourcePattern: detail.sourcePattern ?? null,
		externalIdPattern: detail.externalIdPattern ?? null,
		startsAt: detail.startsAt,
		endsAt: detail.endsAt,
	};
}

function stateOf(window: Pick<MaintenanceWindow, 'startsAt' | 'endsAt'>, now: number, released: boolean): MaintenanceWindow['state'] {
	if (released) return 'released';
	if (now < Date.parse(window.startsAt)) return 'scheduled';
	return now < Date.parse(window.endsAt) ? 'active' : 'ended';
}

/** Ends the window now, releases what it held (tickets for alerts still firing), then removes it; 0 requests plus the tickets. */
export async function deleteWindow(ctx: PsaServiceContext, id: string): Promise<{ id: string; deleted: boolean; release?: WindowRelease }> {
	const window = (await listWindows(ctx)).find((candidate) => candidate.id === id);
	if (!window) return { id, deleted: false };
	const connectionId = await connectionOf(ctx);
	let release: WindowRelease | undefined;
	if (window.state !== 'released' && window.state !== 'scheduled') {
		const ended = { ...window, endsAt: new Date(Math.min(ctx.now(), Date.parse(window.endsAt))).toISOString() };
		release = await releaseWindow(ctx, connectionId, ended);
		// Another run is releasing it: the window stays until that release is done, so nothing it holds is lost.
		if (!release.released) return { id, deleted: false, release };
	}
	await ctx.store.audit.record(connectionId, windowAction(id), { deleted: true });
	return { id, deleted: true, ...(release ? { release } : {}) };
}

/** Case-insensitive glob: '*' any text, '?' one character. */
export function matchesPattern(pattern: string | null, value: string): boolean {
	if (pattern === null) return true;
	const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'is');
	return regex.test(value);
}

function holds(window: Omit<MaintenanceWindow, 'state'>, target: LinkTarget, companyId: number | undefined): boolean {
	if (window.companyId !== null && window.companyId !== companyId) return false;
	return matchesPattern(window.sourcePattern, target.source) && matchesPattern(window.externalIdPattern, target.externalId);
}

/** The windows that cover this alert: active ones (it is held) and ended, unreleased ones (released before it is handled). */
export async function windowsFor(ctx: PsaServiceContext, target: LinkTarget, companyId: number | undefined): Promise<{ active?: MaintenanceWindow; ended: MaintenanceWindow[] }> {
	const windows = (await listWindows(ctx, { includeReleased: false })).filter((window) => holds(window, target, companyId));
	return { active: windows.find((window) => window.state === 'active'), ended: windows.filter((window) => window.state === 'ended') };
}

/** Records the alert as held in the window (no ticket); returns how often it was held there. 0 requests. */
export async function holdAlert(ctx: PsaServiceContext, window: MaintenanceWindow, held: HeldAlert): Promise<number> {
	const connectionId = await connectionOf(ctx);
	const action = `${heldPrefix(window.id)}${entityHash(held.target.source, held.target.externalId)}`;
	await ctx.store.audit.record(connectionId, action, { ...held } as unknown as Record<string, unknown>);
	return (await ctx.store.audit.findRecent(connectionId, action, 0)).length;
}

/** Releases every window that has ended and is not released yet; what the scheduled "release" runs. */
export async function releaseEndedWindows(ctx: PsaServiceContext): Promise<WindowRelease[]> {
	const connectionId = await connectionOf(ctx);
	const ended = (await listWindows(ctx, { includeReleased: false })).filter((window) => window.state === 'ended');
	const releases: WindowRelease[] = [];
	for (const window of ended) releases.push(await releaseWindow(ctx, connectionId, window));
	return releases;
}

/**
 * Releases one ended window, once however many runs try: one run holds its release lease (a run that died holding it is
 * replaced after RELEASE_LEASE_MS); each alert is marked released after its ticket is there, so a replacing run skips
 * what is done, and creating the ticket is PSA Link's find-or-create (one ticket per entity whatever happens).
 */
export async function releaseWindow(ctx: PsaServiceContext, connectionId: string, window: MaintenanceWindow): Promise<WindowRelease> {
	const summary: WindowRelease = { windowId: window.id, name: window.name, endedAt: window.endsAt, released: false, tickets: [], dropped: [], failed: [] };
	if ((await ctx.store.audit.findRecent(connectionId, doneAction(window.id), 0)).length > 0) return { ...summary, released: true };
	if (!(await ctx.store.audit.recordOnce(connectionId, leaseAction(window.id), {}, ctx.now() - RELEASE_LEASE_MS))) return summary;
	const byEntity = new Map<string, AuditEvent[]>();
	for (const record of await ctx.store.audit.findByPrefix(connectionId, heldPrefix(window.id), 0, { limit: 100_000 })) {
		const events = byEntity.get(record.action) ?? [];
		events.push(record);
		byEntity.set(record.action, events);
	}
	// Oldest alert first: tickets are created in the order the alerts first arrived.
	const entities = [...byEntity.values()].sort((a, b) => a[a.length - 1].at.getTime() - b[b.length - 1].at.getTime());
	for (const events of entities) {
		const last = events[0].detail as unknown as HeldAlert;
		const target = normaliseTarget(last.target);
		const hash = entityHash(target.source, target.externalId);
		const entry = { source: target.source, externalId: target.externalId, heldEvents: events.length };
		const done = await ctx.store.audit.findRecent(connectionId, releasedAction(window.id, hash), 0);
		if (done.length > 0) {
			const ticketId = done[0].detail.ticketId;
			if (typeof ticketId === 'number') summary.tickets.push({ ...entry, ticketId, created: false });
			else summary.dropped.push(entry);
			continue;
		}
		if (last.state === 'resolved') {
			summary.dropped.push(entry);
			await ctx.store.audit.recordOnce(connectionId, releasedAction(window.id, hash), { dropped: true }, 0);
			continue;
		}
		try {
			const result = await link(ctx, target, last.fields, last.options);
			summary.tickets.push({ ...entry, ticketId: result.ticketId, created: result.created });
			await ctx.store.audit.recordOnce(connectionId, releasedAction(window.id, hash), { ticketId: result.ticketId }, 0);
		} catch (error) {
			summary.failed.push({ ...entry, error: error instanceof Error ? error.message : String(error) });
		}
	}
	if (summary.failed.length === 0) {
		await ctx.store.audit.recordOnce(connectionId, doneAction(window.id), { tickets: summary.tickets.length, dropped: summary.dropped.length }, 0);
	} else {
		// Failures are tried again by the next release at once, not after the lease.
		await ctx.store.audit.prune(connectionId, leaseAction(window.id), ctx.now() + 1);
	}
	return { ...summary, released: true };
}
