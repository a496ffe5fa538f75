// The routes the Autotask reference contract (../shared/autotask/) lists, to check requests against; absent when the contract is not beside the repository.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONTRACT_DIR = join(__dirname, '..', '..', '..', '..', 'shared', 'autotask');

/** Routes the 2020 swagger subset lacks, each backed by the contract README. */
export const EXTRA_ROUTES: Array<[string, RegExp, string]> = [
	['POST', /^\/\w+\/query\/next$/i, 'README §4: nextPageUrl is {zone}V1.0/{Entity}/query/next?paging=...'],
	['GET', /^\/\w+\/query\/next$/i, 'README §4: a GET query is followed with GET'],
	['GET', /^\/atservicesrest\/v1\.0\/zoneinformation$/i, 'README §1: zone lookup path (the swagger names it /V1.0/ZoneInformation)'],
];

export interface ContractRoute {
	method: string;
	regex: RegExp;
	path: string;
}

/** Every (verb, path) of the swagger subset, TicketWebhooks* following the CompanyWebhooks* template (README §9); undefined when absent. */
export function contractRoutes(): ContractRoute[] | undefined {
	const file = join(CONTRACT_DIR, 'swagger-v1-2020-subset.json');
	if (!existsSync(file)) return undefined;
	const swagger = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
	const routes: ContractRoute[] = [];
	for (const [path, verbs] of Object.entries(swagger.paths)) {
		const variants = path.includes('CompanyWebhook') ? [path, path.replace('CompanyWebhook', 'TicketWebhook')] : [path];
		for (const variant of variants) {
			const pattern = variant.replace(/^\/V1\.0/i, '').replace(/\{\w+\}/g, '[^/]+');
			for (const verb of Object.keys(verbs)) routes.push({ method: verb.toUpperCase(), regex: new RegExp(`^${pattern}$`, 'i'), path: variant });
		}
	}
	return routes;
}

/** The requests (method + path after /V1.0, or the whole path outside it) that no contract route covers. */
export function offContract(routes: ContractRoute[], requests: Array<{ method: string; path: string }>): string[] {
	return requests
		.filter(({ method, path }) => {
			// The swagger lists the version list at the root of the service, as /versioninformation.
			const listed = path.replace(/^\/atservicesrest(?=\/versioninformation$)/i, '');
			if (routes.some((route) => route.method === method && route.regex.test(listed))) return false;
			return !EXTRA_ROUTES.some(([verb, regex]) => verb === method && regex.test(path));
		})
		.map(({ method, path }) => `${method} ${path}`);
}
