// Drives n8n's editor: finds the PSA nodes in the nodes panel by name and by PSA, adds each, opens its dropdowns (loaded from the sandbox) and saves screenshots.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { Page, Response } from 'playwright-core';

/**
 * Outside the clone by default, so a run leaves `git status` clean; `PSA_E2E_SCREENSHOTS=docs/images` refreshes
 * the documentation's images.
 */
export const SCREENSHOT_DIR = process.env.PSA_E2E_SCREENSHOTS ? resolve(process.env.PSA_E2E_SCREENSHOTS) : join(tmpdir(), 'psa-bridge-e2e-screenshots');

export interface DropdownSpec {
	/** The parameter's name (n8n renders it as data-test-id="parameter-input-<name>"). */
	parameter: string;
	kind: 'options' | 'locator';
	/** An entry the sandbox's data must put in the list. */
	expect: RegExp;
	/** Choose that entry (so dependent dropdowns can load). */
	select?: boolean;
	/** For a parameter inside a collection: the collection's "Add" label and the field's display name. */
	addFrom?: { collection: string; field: string };
}

export interface EditorNodeSpec {
	displayName: string;
	/** Triggers are added as the first step of an empty workflow (the panel after a trigger lists actions). */
	trigger?: boolean;
	/** The action to pick in the nodes panel; triggers without operations open directly. */
	action?: string;
	dropdowns: DropdownSpec[];
	/** <SCREENSHOT_DIR>/<screenshot>.png (docs/images holds the published ones) */
	screenshot: string;
}

export const EDITOR_NODES: EditorNodeSpec[] = [
	{ displayName: 'PSA Connect', action: 'Test the PSA connection and report the server and API versions', dropdowns: [], screenshot: 'psa-connect' },
	{
		displayName: 'PSA Link',
		action: 'Link an alert to a PSA ticket, creating one only if none is linked (repeating the call returns the same ticket)',
		dropdowns: [
			{ parameter: 'company', kind: 'locator', expect: /Acme Corp/, select: true },
			{ parameter: 'boardId', kind: 'options', expect: /^Help Desk$/, select: true },
			{ parameter: 'priorityId', kind: 'options', expect: /Priority 3 - Normal/, select: true, addFrom: { collection: 'additionalFields', field: 'Priority Name or ID' } },
			{ parameter: 'statusId', kind: 'options', expect: /^In Progress$/, addFrom: { collection: 'additionalFields', field: 'Status Name or ID' } },
		],
		screenshot: 'psa-link',
	},
	{
		displayName: 'PSA Note',
		action: 'Add a note to a PSA ticket given by ID or by alert link; the same text on the same ticket is posted once (without a dedupe key, one is derived from ticket and text)',
		dropdowns: [
			{ parameter: 'ticketBy', kind: 'options', expect: /^Ticket$/, select: true },
			{ parameter: 'ticket', kind: 'locator', expect: /^#\d+ / },
		],
		screenshot: 'psa-note',
	},
	{
		displayName: 'PSA Status',
		action: 'Map an external state (e.g. resolved) to a status of a board',
		dropdowns: [
			{ parameter: 'boardId', kind: 'options', expect: /^Help Desk$/, select: true },
			{ parameter: 'statusId', kind: 'options', expect: /^Resolved/ },
		],
		screenshot: 'psa-status',
	},
	{
		displayName: 'PSA Ticket',
		action: 'Get a PSA ticket with its custom fields and configuration items',
		dropdowns: [
			{ parameter: 'ticketBy', kind: 'options', expect: /^Ticket$/, select: true },
			{ parameter: 'ticket', kind: 'locator', expect: /^#\d+ / },
		],
		screenshot: 'psa-ticket',
	},
	{
		displayName: 'PSA Member Map',
		action: "Map a person's email or chat ID to a PSA member",
		dropdowns: [{ parameter: 'member', kind: 'locator', expect: /John Smith/ }],
		screenshot: 'psa-member-map',
	},
	{
		displayName: 'PSA Trigger',
		trigger: true,
		action: 'On ticket updated',
		dropdowns: [
			{ parameter: 'companyId', kind: 'locator', expect: /Acme Corp/, select: true },
			{ parameter: 'boardId', kind: 'locator', expect: /^Help Desk$/, select: true },
			{ parameter: 'statusIds', kind: 'options', expect: /^In Progress$/ },
		],
		screenshot: 'psa-trigger',
	},
];

export interface DynamicOptionsCall {
	url: string;
	status: number;
	method?: string;
	count?: number;
	error?: string;
}

/** Records every dropdown request the editor makes to n8n (options and resource-locator lists) and how it went. */
export function watchDynamicOptions(page: Page): DynamicOptionsCall[] {
	const calls: DynamicOptionsCall[] = [];
	page.on('response', (response: Response) => {
		const url = response.url();
		if (!url.includes('/rest/dynamic-node-parameters/')) return;
		void (async () => {
			const call: DynamicOptionsCall = { url, status: response.status() };
			try {
				const request = response.request().postDataJSON() as { methodName?: string } | null;
				call.method = request?.methodName;
			} catch {
				// not JSON: keep the URL
			}
			try {
				const body = (await response.json()) as { data?: unknown; message?: string };
				const data = body.data as { results?: unknown[] } | unknown[] | undefined;
				if (Array.isArray(data)) call.count = data.length;
				else if (data && Array.isArray(data.results)) call.count = data.results.length;
				if (response.status() >= 400) call.error = body.message ?? JSON.stringify(body).slice(0, 300);
			} catch (error) {
				call.error = `unreadable answer: ${(error as Error).message}`;
			}
			calls.push(call);
		})();
	});
	return calls;
}

/** Opens a workflow (one with a Manual Trigger, so action nodes can follow it), or a new empty one. */
export async function openWorkflow(page: Page, baseUrl: string, workflowId: string | 'new'): Promise<void> {
	await page.goto(`${baseUrl}/workflow/${workflowId}`);
	await page.getByTestId('canvas').waitFor({ state: 'visible', timeout: 60_000 });
}

/** Adds a node through the nodes panel; fails with a clear message when the panel does not list it. */
export async function addNodeFromPanel(page: Page, spec: EditorNodeSpec): Promise<void> {
	if (spec.trigger) await page.getByTestId('canvas-add-button').click();
	else await page.getByTestId('node-creator-plus-button').click();
	const search = page.getByTestId('node-creator-search-bar');
	await search.waitFor({ state: 'visible' });
	await search.fill(spec.displayName);
	const listedAs = panelName(spec);
	const item = page.getByTestId('node-creator-item-name').getByText(listedAs, { exact: true });
	try {
		await item.first().waitFor({ state: 'visible', timeout: 15_000 });
	} catch {
		throw new Error(`the nodes panel does not list "${spec.displayName}" (searched for it by name, looked for "${listedAs}")`);
	}
	await item.first().click();
	if (spec.action) {
		const action = page.getByTestId('node-creator').getByText(spec.action, { exact: true });
		try {
			await action.first().waitFor({ state: 'visible', timeout: 10_000 });
		} catch {
			throw new Error(`the nodes panel shows no action "${spec.action}" for "${spec.displayName}"`);
		}
		await action.first().click();
	}
	await page.getByTestId('ndv').waitFor({ state: 'visible', timeout: 20_000 });
	await page.getByTestId('node-parameters').waitFor({ state: 'visible' });
}

/** How the nodes panel lists a node: a trigger under its app's name (n8n drops the trailing " Trigger"). */
export function panelName(spec: EditorNodeSpec): string {
	return spec.trigger ? spec.displayName.replace(/ Trigger$/, '') : spec.displayName;
}

/**
 * Types `query` into the nodes panel (opened from the canvas when it is closed) and waits until it lists every name in
 * `expected`, or 15 s; returns what it listed. The panel searches names and the codex aliases.
 */
export async function searchNodesPanel(page: Page, query: string, expected: string[]): Promise<string[]> {
	const search = page.getByTestId('node-creator-search-bar');
	if (!(await search.isVisible().catch(() => false))) {
		await page.getByTestId('node-creator-plus-button').click();
		await search.waitFor({ state: 'visible' });
	}
	await search.fill(query);
	const deadline = Date.now() + 15_000;
	let listed: string[] = [];
	for (;;) {
		const texts = await page.getByTestId('node-creator-item-name').allInnerTexts().catch(() => [] as string[]);
		listed = [...new Set(texts.map((text) => text.trim()).filter((text) => text !== ''))];
		if (expected.every((name) => listed.includes(name)) || Date.now() > deadline) return listed;
		await page.waitForTimeout(250);
	}
}

export async function screenshotPage(page: Page, name: string): Promise<string> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const file = join(SCREENSHOT_DIR, `${name}.png`);
	await page.screenshot({ path: file });
	return file;
}

// Closed n8n lists stay in the DOM, hidden; only the open one is visible.
function entryLocator(page: Page, kind: DropdownSpec['kind']) {
	return page.locator(kind === 'locator' ? '[data-test-id="rlc-item"]:visible' : '.el-select-dropdown__item:visible');
}

async function listEntries(page: Page, kind: DropdownSpec['kind']): Promise<string[]> {
	const texts = await entryLocator(page, kind).allInnerTexts();
	return texts.map((text) => text.trim().split('\n')[0].trim()).filter((text) => text !== '');
}

/**
 * Opens one dropdown and waits until it lists an entry matching `expect`; a dropdown that shows n8n's load
 * error, or stays empty, fails the step with what it showed. Returns the entries it listed.
 */
export async function openDropdown(page: Page, spec: DropdownSpec): Promise<string[]> {
	const ndv = page.getByTestId('ndv');
	if (spec.addFrom) {
		await ndv.locator(`[data-test-id="${spec.addFrom.collection}"] [data-test-id="collection-parameter-add"], [data-test-id="collection-parameter-add"]`).first().click();
		await page.locator('.el-select-dropdown:visible .el-select-dropdown__item').getByText(spec.addFrom.field, { exact: true }).first().click();
	}
	const container = ndv.getByTestId(`parameter-input-${spec.parameter}`).first();
	await container.waitFor({ state: 'visible' });
	await container.scrollIntoViewIfNeeded();
	if (spec.kind === 'locator') await container.getByTestId('rlc-input').click();
	else await container.click();
	const deadline = Date.now() + 20_000;
	let entries: string[] = [];
	let reopenAt = Date.now() + 3_000;
	for (;;) {
		entries = await listEntries(page, spec.kind).catch(() => []);
		if (entries.some((entry) => spec.expect.test(entry))) break;
		const problem = await dropdownError(page, container);
		if (problem) throw new Error(`the "${spec.parameter}" dropdown failed to load: ${problem}`);
		if (Date.now() > deadline) {
			const issues = await container.locator('..').locator('[data-test-id="parameter-issues"]').allInnerTexts().catch(() => [] as string[]);
			throw new Error(`the "${spec.parameter}" dropdown listed no entry matching ${spec.expect} within 20 s; it showed: ${JSON.stringify(entries)}${issues.length > 0 ? `; the parameter's issues: ${JSON.stringify(issues)}` : ''}`);
		}
		// A click that lands while the field just added from its collection is still settling leaves the list closed:
		// nothing listed after a few seconds, so open it again (an open list is left alone).
		if (entries.length === 0 && Date.now() > reopenAt && !(await page.locator('.el-select-dropdown:visible, [data-test-id="rlc-item"]:visible').count().catch(() => 0))) {
			await (spec.kind === 'locator' ? container.getByTestId('rlc-input') : container).click().catch(() => undefined);
			reopenAt = Date.now() + 3_000;
		}
		await page.waitForTimeout(250);
	}
	if (spec.select) {
		const all = await entryLocator(page, spec.kind).allInnerTexts();
		const index = all.findIndex((text) => spec.expect.test(text.trim().split('\n')[0].trim()));
		await entryLocator(page, spec.kind).nth(index).click();
		await page.waitForTimeout(300);
	}
	return entries;
}

// n8n shows a failed options load as an issue on the parameter or as an error line in the list.
async function dropdownError(page: Page, container: ReturnType<Page['locator']>): Promise<string | undefined> {
	const listError = page.locator('[data-test-id="rlc-error-container"]:visible, .el-select-dropdown__empty:visible');
	for (const text of await listError.allInnerTexts().catch(() => [] as string[])) {
		if (/error|could not|problem|failed/i.test(text)) return text.trim();
	}
	const issues = await container.locator('..').locator('[data-test-id="parameter-issues"]').allInnerTexts().catch(() => [] as string[]);
	const issue = issues.find((text) => /error|could not|problem|failed/i.test(text));
	if (issue) return issue.trim();
	const titled = await container.locator('[title*="problem loading" i], [title*="Error" i]').count().catch(() => 0);
	return titled > 0 ? 'n8n marked the parameter with a load error' : undefined;
}

export async function screenshotNdv(page: Page, name: string): Promise<string> {
	return screenshotPage(page, name);
}

export async function closeNdv(page: Page): Promise<void> {
	await page.keyboard.press('Escape');
	await page.keyboard.press('Escape');
	const close = page.getByTestId('ndv-close-button');
	if (await close.isVisible().catch(() => false)) await close.click();
	await page.getByTestId('ndv').waitFor({ state: 'hidden', timeout: 10_000 });
}
