// The routes the Autotask reference contract (../shared/autotask/) lists, to check requests against; absent when the contract is not beside the repository.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONTRACT_DIR = join(__dirname, '..', '..', '..', '..', 'shared', 'autotask');

/** The two cuts of the published swagger: tickets, notes, companies, contacts, resources, webhooks; and the work subset (configuration items and more). */
export const SWAGGER_FILES = ['swagger-v1-2020-subset.json', 'swagger-v1-2020-work-subset.json'];

/** Routes the 2020 swagger subsets lack, each with what backs it; the last two are the sandbox's choice where the reference is silent. */
export const EXTRA_ROUTES: Array<[string, RegExp, string]> = [
	['POST', /^\/\w+\/query\/next$/i, 'README §4: nextPageUrl is {zone}V1.0/{Entity}/query/next?paging=...'],
	['GET', /^\/\w+\/query\/next$/i, 'README §4: a GET query is followed with GET'],
	['GET', /^\/atservicesrest\/v1\.0\/zoneinformation$/i, 'README §1: zone lookup path (the swagger names it /V1.0/ZoneInformation)'],
	[
		'POST',
		/^\/CompanyLocations\/query$/i,
		'unconfirmed: the Tickets fixture names companyLocationID a reference to CompanyLocation; the entity is in neither subset, its query path follows §3',
	],
	[
		'DELETE',
		/^\/Tickets\/\d+\/AdditionalConfigurationItems\/\d+$/i,
		'unconfirmed: the work subset lists GET and POST only; the path follows the child delete pattern of /CompanyWebhooks/{parentId}/Fields/{id}',
	],
];

export interface ContractRoute {
	method: string;
	regex: RegExp;
	path: string;
}

/** Every (verb, path) of the swagger subsets, TicketWebhooks* following the CompanyWebhooks* template (README §9); undefined when absent. */
export function contractRoutes(): ContractRoute[] | undefined {
	const files = SWAGGER_FILES.map((name) => join(CONTRACT_DIR, name));
	if (!files.every((file) => existsSync(file))) return undefined;
	const paths = files.flatMap((file) => Object.entries((JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, unknown>> }).paths));
	const routes: ContractRoute[] = [];
	for (const [path, verbs] of paths) {
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
