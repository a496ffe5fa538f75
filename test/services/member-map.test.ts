// The member map when a mapped member leaves: automatic mappings are dropped and re-resolved, manual ones reported (real SQLite store, sandbox).
import { addNote, link, resolveMember, setMember, type PsaServiceContext } from '../../lib/services';
import { useServiceFixture } from '../helpers/services';

// A fresh sandbox per test: these tests deactivate members and move emails.
const fixture = useServiceFixture('psa-member-map-service-', { perTest: true });

const member = (id: number) => {
	const found = fixture.sandbox.db.members.find((candidate) => candidate.id === id);
	if (!found) throw new Error(`sandbox member ${id} missing`);
	return found;
};

async function newTicket(ctx: PsaServiceContext, summary: string): Promise<number> {
	return (await ctx.provider.createTicket({ summary, companyId: 250, externalRef: `member-test:${summary}` })).id;
}

const alice = { source: 'email', identity: 'alice.doe@acme.example' };

it('a note by an identity whose auto-mapped member was deactivated drops the mapping and goes to the member who has the email now', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	const ticketId = await newTicket(ctx, 'left');
	expect(await resolveMember(ctx, alice)).toMatchObject({ memberId: 151, kind: 'auto' });
	// Alice left: her member is deactivated, and her email now belongs to another member (a new account).
	member(151).inactiveFlag = true;
	member(150).officeEmail = alice.identity;
	// Another identity auto-mapped to the same member is dropped too; a manual mapping of another identity is kept.
	await fixture.store.memberMap.set({ connectionId, source: 'slack', identity: 'U-ALICE', memberId: 151, memberIdentifier: 'adoe', kind: 'auto' });

	const result = await addNote(ctx, { ticket: { ticketId }, text: 'Escalated', type: 'internal', member: alice, dedupeKey: 'k-left' });
	expect(result).toMatchObject({ memberId: 150, deduplicated: false });
	expect(fixture.sandbox.db.notes.filter((note) => note.ticketId === ticketId).map((note) => note.member?.id)).toEqual([150]);
	expect(await fixture.store.memberMap.get(connectionId, 'email', alice.identity)).toMatchObject({ memberId: 150, kind: 'auto' });
	expect(await fixture.store.memberMap.get(connectionId, 'slack', 'U-ALICE')).toBeUndefined();
});

it('a ticket owner given by identity whose auto-mapped member was deactivated is resolved again (field owner)', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	await resolveMember(ctx, alice);
	member(151).inactiveFlag = true;
	member(150).officeEmail = alice.identity;

	const result = await link(ctx, { source: 'monitor', externalId: 'owner-left' }, { summary: 'owner left', companyId: 250, owner: alice });
	expect(result.created).toBe(true);
	expect(fixture.sandbox.db.tickets.find((ticket) => ticket.id === result.ticketId)?.owner?.id).toBe(150);
	expect(await fixture.store.memberMap.get(connectionId, 'email', alice.identity)).toMatchObject({ memberId: 150 });
	expect(fixture.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'monitor:owner-left')).toHaveLength(1);
});

it('when nobody active has the email any more, the error says so and the stale auto mapping is gone', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	const ticketId = await newTicket(ctx, 'nobody');
	await resolveMember(ctx, alice);
	member(151).inactiveFlag = true;

	await expect(addNote(ctx, { ticket: { ticketId }, text: 'Escalated', type: 'internal', member: alice })).rejects.toThrow(
		'No active member has the email alice.doe@acme.example',
	);
	expect(await fixture.store.memberMap.get(connectionId, 'email', alice.identity)).toBeUndefined();
	// Once the member is back (or the email moves to an active member), the identity works without an admin
	// (a new cache stands for the member lookup's cache lifetime having passed).
	member(151).inactiveFlag = false;
	expect(await addNote(fixture.context(), { ticket: { ticketId }, text: 'Back', type: 'internal', member: alice })).toMatchObject({ memberId: 151 });
});

it('a manual mapping to a member the PSA refuses is reported with what to do, and kept', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	const ticketId = await newTicket(ctx, 'manual');
	await setMember(ctx, { source: 'slack', identity: 'U-ALICE', member: { id: 151 } });
	member(151).inactiveFlag = true;

	const error = await addNote(ctx, { ticket: { ticketId }, text: 'Escalated', type: 'internal', member: { source: 'slack', identity: 'U-ALICE' } }).then(
		() => undefined,
		(caught: unknown) => caught as Error & { kind: string; details: { hint?: string } },
	);
	expect(error?.kind).toBe('invalid-input');
	expect(error?.message).toMatch(/^The PSA refused member adoe \(id 151\), mapped by hand to slack identity "U-ALICE": /);
	expect(error?.details.hint).toMatch(/PSA Member Map > Set/);
	expect(await fixture.store.memberMap.get(connectionId, 'slack', 'U-ALICE')).toMatchObject({ memberId: 151, kind: 'manual' });
	expect(fixture.sandbox.db.notes.filter((note) => note.ticketId === ticketId)).toHaveLength(0);
});
