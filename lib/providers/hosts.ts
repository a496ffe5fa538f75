// Hosts no provider may send a request to (cloud instance metadata, link-local), and loopback detection for local sandboxes.

/**
 * Host names that cloud platforms answer with instance metadata (credentials, tokens) from inside the instance.
 * A PSA API never has one of these names; a request to them could leak the instance's own secrets.
 */
const METADATA_HOSTNAMES = new Set([
	'metadata',
	'metadata.google.internal',
	'metadata.goog',
	'metadata.azure.internal',
	'metadata.platformequinix.com',
	'instance-data',
	'instance-data.ec2.internal',
]);
/** Metadata addresses outside the link-local ranges: AWS's IPv6 IMDS and Alibaba Cloud's. */
const METADATA_ADDRESSES = new Set(['fd00:ec2::254', '100.100.100.200']);

/** The IPv4 address embedded in an IPv4-mapped IPv6 address (::ffff:a9fe:a9fe as WHATWG URL writes it), else undefined. */
function mappedIpv4(bare: string): string | undefined {
	const match = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
	if (!match) return undefined;
	const high = parseInt(match[1], 16);
	const low = parseInt(match[2], 16);
	return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Why the package refuses to send any request to this host, or undefined when it may. Refused: link-local addresses
 * (169.254.0.0/16, fe80::/10), where clouds serve instance metadata, and the well-known metadata names and addresses.
 * Private addresses (10/8, 172.16/12, 192.168/16, fc00::/7) stay allowed: on-premises PSAs live there. The host is
 * read the way WHATWG URL (and so the HTTP client) reads it, so 2852039166, 0xa9fea9fe or 169.254.43518 are caught as
 * 169.254.169.254.
 */
export function refusedHostReason(hostname: string): string | undefined {
	let canonical: string;
	try {
		canonical = new URL(`https://${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}/`).hostname;
	} catch {
		return undefined;
	}
	const bare = canonical.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
	if (METADATA_HOSTNAMES.has(bare)) return `${hostname} is a cloud instance-metadata host name`;
	if (METADATA_ADDRESSES.has(bare)) return `${hostname} is a cloud instance-metadata address`;
	const ipv4 = /^\d{1,3}(?:\.\d{1,3}){3}$/.test(bare) ? bare : mappedIpv4(bare);
	if (ipv4 && ipv4.startsWith('169.254.')) {
		return `${hostname} is a link-local address (169.254.0.0/16), where cloud platforms serve instance metadata`;
	}
	if (/^fe[89ab][0-9a-f]:/.test(bare)) return `${hostname} is a link-local IPv6 address (fe80::/10)`;
	return undefined;
}

export function isLoopbackHostname(hostname: string): boolean {
	const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	return bare === 'localhost' || bare === '::1' || /^127(?:\.\d{1,3}){3}$/.test(bare);
}
