// Ticket rules ConnectWise imposes: 100-character summaries, 100-character externalXRef, and the web UI's ticket URLs.
import { PsaError } from '../errors';
import { psaReferenceOf } from '../link-key';
import { oneLineTitle } from '../text';

export { ticketDescription } from '../text';

export const SUMMARY_MAX = 100;
export const EXTERNAL_XREF_MAX = 100;

/** A summary ConnectWise accepts: one line, at most 100 UTF-16 code units (see ../text.ts). */
export function ticketSummary(summary: string): { summary: string; truncated: boolean } {
	return oneLineTitle(summary, SUMMARY_MAX);
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
