// Read-only link lookups (0 requests): the entity a link names, checked, and the ticket it is linked to.
import { PsaError } from '../providers/errors';
import type { TicketLink } from '../store/types';
import { connectionOf, type PsaServiceContext } from './context';
import { requireKeyText } from './validation';

export interface LinkTarget {
	source: string;
	externalId: string;
}

/**
 * Checks and trims a target. New links refuse a ":" in the source: the link key is `source:externalId`, so ("a:b", "c")
 * and ("a", "b:c") would share one key on the ticket (and the trigger reads the source up to the first ":"). Reading and
 * removing still accept such a source, for links stored before this rule.
 */
export function normaliseTarget(target: LinkTarget, options: { creating?: boolean } = {}): LinkTarget {
	const source = requireKeyText(target.source, 'Source', 100);
	if (options.creating && source.includes(':')) {
		throw new PsaError('invalid-input', `Source "${source}" contains ":"`, {
			field: 'source',
			hint: 'Use a short name such as "zabbix" or "pagerduty" for the source, without ":"; the external ID may contain ":".',
		});
	}
	return { source, externalId: requireKeyText(target.externalId, 'External ID', 1000) };
}

/** The ticket id a target is linked to (0 requests); a clear error when it is not linked. */
export async function linkedTicketId(ctx: PsaServiceContext, targetInput: LinkTarget): Promise<number> {
	// Note and Status resolve their ticket through this on every item: the stored link's id, without building a result.
	return (await storedLink(ctx, normaliseTarget(targetInput))).ticketId as number;
}

/** The stored link with a ticket, or the not-found error getLink reports. */
export async function storedLink(ctx: PsaServiceContext, target: LinkTarget): Promise<TicketLink> {
	const connectionId = await connectionOf(ctx);
	const stored = await ctx.store.links.find(connectionId, target.source, target.externalId);
	if (!stored || stored.ticketId === null) {
		throw new PsaError('not-found', `${target.source} "${target.externalId}" is not linked to a ticket`, {
			hint:
				stored?.state === 'pending'
					? 'A ticket is being created for it right now; try again in a moment.'
					: 'Check the source and external ID, or create the link with PSA Link > Link.',
		});
	}
	return stored;
}
