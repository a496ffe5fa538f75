// Ticket text rules every PSA shares: a one-line title cut to the PSA's length (counted in UTF-16 units), the full text kept in the description.
import { PsaError } from './errors';

/**
 * A title the PSA accepts: one line, at most `max` UTF-16 code units (ConnectWise and Autotask count them, so an emoji
 * takes two), cut at a character boundary with "…" appended when longer, and whether it was cut.
 */
export function oneLineTitle(summary: string, max: number): { summary: string; truncated: boolean } {
	const oneLine = summary.replace(/\s*[\r\n]+\s*/g, ' ').trim();
	if (!oneLine) throw new PsaError('invalid-input', 'A ticket needs a summary', { field: 'summary' });
	if (oneLine.length <= max) return { summary: oneLine, truncated: false };
	let cut = '';
	for (const character of oneLine) {
		if (cut.length + character.length > max - 1) break;
		cut += character;
	}
	return { summary: `${cut}\u2026`, truncated: true };
}

/** The description written with a new ticket: the full summary first when the summary had to be cut. */
export function ticketDescription(fullSummary: string, description: string | undefined, truncated: boolean): string | undefined {
	if (!truncated) return description;
	const full = fullSummary.trim();
	return description?.trim() ? `${full}\n\n${description}` : full;
}
