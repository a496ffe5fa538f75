// Headless Chromium for the editor test (playwright-core over the Debian chromium), logged into n8n's editor.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core';

import { OWNER } from './n8n';
import { onCleanup } from './processes';

export const CHROMIUM = process.env.PSA_E2E_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--no-first-run',
	'--disable-sync',
	'--disable-quic',
	'--disable-dev-shm-usage',
];

let testIdSet = false;

/** A fresh browser profile in a temporary folder; closed (and the folder removed) by runCleanups. */
export async function launchBrowser(): Promise<BrowserContext> {
	if (!existsSync(CHROMIUM)) {
		throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set PSA_E2E_CHROMIUM`);
	}
	// n8n's editor marks elements with data-test-id, not Playwright's default data-testid.
	if (!testIdSet) {
		selectors.setTestIdAttribute('data-test-id');
		testIdSet = true;
	}
	const profile = mkdtempSync(join(tmpdir(), 'psa-e2e-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: CHROMIUM_ARGS,
		viewport: { width: 1440, height: 900 },
		deviceScaleFactor: 1,
		timeout: 60_000,
	});
	context.setDefaultTimeout(20_000);
	onCleanup('close chromium', async () => {
		await context.close().catch(() => undefined);
		rmSync(profile, { recursive: true, force: true });
	});
	return context;
}

/** Signs in through the editor's own form. */
export async function signIn(page: Page, baseUrl: string, owner = OWNER): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	await page.locator('[data-test-id="emailOrLdapLoginId"] input, input[data-test-id="emailOrLdapLoginId"]').first().fill(owner.email);
	await page.locator('[data-test-id="password"] input, input[data-test-id="password"]').first().fill(owner.password);
	await page.getByTestId('form-submit-button').click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
}
