// Ticket rules ConnectWise imposes: 100-character summaries, 100-character externalXRef, and the web UI's ticket URLs.
import { PsaError } from '../errors';
import { psaReferenceOf } from '../link-key';

export const SUMMARY_MAX = 100;
export const EXTERNAL_XREF_MAX = 100;

/**
 * A summary ConnectWise accepts: one line, at most 100 UTF-16 code units (ConnectWise counts them, so an emoji takes
 * two), cut at a character boundary with "…" appended when longer, and whether it was cut.
 */
export function ticketSummary(summary: string): { summary: string; truncated: boolean } {
	const oneLine = summary.replace(/\s*[\r\n]+\s*/g, ' ').trim();
	if (!oneLine) throw new PsaError('invalid-input', 'A ticket needs a summary', { field: 'summary' });
	if (oneLine.length <= SUMMARY_MAX) return { summary: oneLine, truncated: false };
	let cut = '';
	for (const character of oneLine) {
		if (cut.length + character.length > SUMMARY_MAX - 1) break;
		cut += character;
	}
	return { summary: `${cut}\u2026`, truncated: true };
}

/** The description written to initialDescription: the full summary first when the summary had to be cut. */
export function ticketDescription(fullSummary: string, description: string | undefined, truncated: boolean): string | undefined {
	if (!truncated) return description;
	const full = fullSummary.trim();
	return description?.trim() ? `${full}\n\n${description}` : full;
}

/** The externalXRef stored for a link key: the key up to 100 code units, else its hash (see psaReferenceOf). */
export function externalXRefFor(externalRef: string): string {
	if (typeof externalRef !== 'string' || !externalRef.trim()) {
		throw new PsaError('invalid-input', 'A ticket link needs an external reference', { field: 'externalXRef' });
	}
	return psaReferenceOf(externalRef, EXTERNAL_XREF_MAX);
}

/** The ticket's page in ConnectWise's web UI (the "open record" deep link). */
export function ticketWebUrl(uiOrigin: string, codebase: string, id: number): string {
	return `${uiOrigin}/${codebase}ConnectWise.aspx?fullscreen=false&locale=en_US#startscreen=sr200&state=OpenRecord&recid=${id}`;
}

/**
 * The ticket id in a ConnectWise URL on one of `hosts`: the web UI deep link (recid / service_recid / srRecID in
 * the query or the fragment) or an API URL ending in /service/tickets/{id}.
 */
export function parseTicketId(value: string, hosts: string[]): number | undefined {
	let url: URL;
	try {
		url = new URL(value.trim());
	} catch {
		return undefined;
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
	if (!hosts.includes(url.host.toLowerCase())) return undefined;
	const api = /\/service\/tickets\/(\d+)\/?$/i.exec(url.pathname);
	if (api) return toId(api[1]);
	const params = [url.searchParams, new URLSearchParams(url.hash.replace(/^#/, ''))];
	for (const search of params) {
		for (const [key, raw] of search) {
			if (/^(recid|service_recid|srrecid)$/i.test(key)) return toId(raw);
		}
	}
	return undefined;
}

function toId(raw: string): number | undefined {
	if (!/^\d{1,15}$/.test(raw)) return undefined;
	const id = Number(raw);
	return id > 0 ? id : undefined;
}
