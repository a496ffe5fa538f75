// Member map: external identities (email, chat id) to PSA members — the stored map first, then email auto-match.
import { PsaError, isPsaError } from '../providers/errors';
import type { PsaMember } from '../providers/types';
import type { MemberMapKind, MemberMapping } from '../store/types';
import type { DamagedRowReporter } from '../store/errors';
import { connectionOf, type PsaServiceContext } from './context';
import { requireId, requireText } from './validation';

export interface MemberIdentity {
	/** Where the identity comes from, e.g. "email", "slack", "teams". */
	source: string;
	identity: string;
}

export interface ResolvedMember {
	source: string;
	identity: string;
	memberId: number;
	memberIdentifier: string;
	kind: MemberMapKind;
	/** "map" when the stored map answered, "email-match" when found by email just now. */
	resolvedBy: 'map' | 'email-match';
}

export interface MemberSelector {
	id?: number;
	identifier?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function normalise(input: MemberIdentity): MemberIdentity {
	const source = requireText(input.source, 'Identity source', 50).toLowerCase();
	let identity = requireText(input.identity, 'Identity', 320);
	// Emails are case-insensitive in practice and the PSA stores them lower-cased; chat ids are kept as given.
	if (EMAIL.test(identity)) identity = identity.toLowerCase();
	return { source, identity };
}

function describe(member: PsaMember): string {
	return `${member.identifier} (${member.name}, id ${member.id})`;
}

/** Resolves an identity to a member: 0 requests when mapped, at most 1 per identity per cache TTL otherwise. */
export async function resolveMember(ctx: PsaServiceContext, input: MemberIdentity): Promise<ResolvedMember> {
	const { source, identity } = normalise(input);
	const connectionId = await connectionOf(ctx);
	const stored = await ctx.store.memberMap.get(connectionId, source, identity);
	if (stored) return fromMapping(stored, 'map');

	if (!EMAIL.test(identity)) {
		throw new PsaError('not-found', `No member is mapped to ${source} identity "${identity}"`, {
			hint: 'Only emails are matched automatically. Map this identity with PSA Member Map > Set.',
		});
	}
	const candidates = await ctx.cache.getOrLoad(connectionId, `members-by-email:${identity}`, () =>
		ctx.provider.findMembersByEmail(identity),
	);
	const active = candidates.filter((member) => !member.inactive);
	if (active.length === 0) {
		const inactive = candidates.filter((member) => member.inactive);
		throw new PsaError('not-found', `No active member has the email ${identity}`, {
			hint:
				inactive.length > 0
					? `Only inactive members have it (${inactive.map(describe).join(', ')}); inactive members are never chosen. Map the identity with PSA Member Map > Set.`
					: 'Check the email, or map the identity with PSA Member Map > Set.',
		});
	}
	if (active.length > 1) {
		throw new PsaError('conflict', `Several active members have the email ${identity}: ${active.map(describe).join(', ')}`, {
			hint: 'Choose one with PSA Member Map > Set.',
		});
	}
	const member = active[0];
	const mapping = await ctx.store.memberMap.set({
		connectionId,
		source,
		identity,
		memberId: member.id,
		memberIdentifier: member.identifier,
		kind: 'auto',
	});
	// The store keeps a manual mapping over an auto one; report what it holds.
	return fromMapping(mapping, mapping.kind === 'auto' ? 'email-match' : 'map');
}

/**
 * True when the PSA refused the member set on a record (the provider's error names the field: `member` on notes, `owner`
 * on tickets), which is what happens once a mapped member was deactivated or deleted.
 */
export function isMemberRefused(error: unknown, field: 'member' | 'owner'): error is PsaError {
	if (!isPsaError(error, 'invalid-input')) return false;
	const blamed = (error.details.field ?? '').toLowerCase();
	return blamed === field || blamed.startsWith(`${field}/`);
}

/**
 * After the PSA refused a resolved member: automatic mappings to that member are dropped (for every identity, so the
 * next ones need no second failure) and the identity is resolved again; a manual mapping is an error saying to update it.
 * Throws the PSA's error when resolving again gives the same member.
 */
export async function resolveAfterRefusal(
	ctx: PsaServiceContext,
	input: MemberIdentity,
	refused: ResolvedMember,
	error: PsaError,
): Promise<ResolvedMember> {
	const connectionId = await connectionOf(ctx);
	if (refused.kind === 'manual') {
		throw new PsaError(
			'invalid-input',
			`The PSA refused member ${refused.memberIdentifier} (id ${refused.memberId}), mapped by hand to ${refused.source} identity "${refused.identity}": ${error.message}`,
			{
				...error.details,
				hint: 'The member is probably inactive now. Map the identity to an active member with PSA Member Map > Set, or remove the mapping to match by email again.',
			},
		);
	}
	const removed = await ctx.store.memberMap.removeByMember(connectionId, refused.memberId, 'auto');
	ctx.cache.invalidate(connectionId, 'members-by-email:');
	if (removed > 0) await ctx.store.audit.record(connectionId, 'member-map.auto-removed', { memberId: refused.memberId, mappings: removed });
	const again = await resolveMember(ctx, input);
	if (again.memberId === refused.memberId) throw error;
	return again;
}

/** Maps an identity to a member by hand after checking the member exists and is active (1 request). */
export async function setMember(
	ctx: PsaServiceContext,
	input: MemberIdentity & { member: MemberSelector },
): Promise<ResolvedMember> {
	const { source, identity } = normalise(input);
	const member = await findMember(ctx, input.member);
	if (member.inactive) {
		throw new PsaError('invalid-input', `Member ${describe(member)} is inactive`, {
			hint: 'Choose an active member; inactive members cannot be assigned work.',
		});
	}
	const connectionId = await connectionOf(ctx);
	const mapping = await ctx.store.memberMap.set({
		connectionId,
		source,
		identity,
		memberId: member.id,
		memberIdentifier: member.identifier,
		kind: 'manual',
	});
	await ctx.store.audit.record(connectionId, 'member-map.set', { source, memberId: member.id });
	return fromMapping(mapping, 'map');
}

export async function removeMember(ctx: PsaServiceContext, input: MemberIdentity): Promise<{ source: string; identity: string; removed: boolean }> {
	const { source, identity } = normalise(input);
	const connectionId = await connectionOf(ctx);
	const removed = await ctx.store.memberMap.remove(connectionId, source, identity);
	if (removed) await ctx.store.audit.record(connectionId, 'member-map.remove', { source });
	return { source, identity, removed };
}

export async function listMembers(
	ctx: PsaServiceContext,
	filter: { source?: string; kind?: MemberMapKind; limit?: number; offset?: number; onDamaged?: DamagedRowReporter } = {},
): Promise<MemberMapping[]> {
	const connectionId = await connectionOf(ctx);
	const source = filter.source?.trim() ? filter.source.trim().toLowerCase() : undefined;
	return ctx.store.memberMap.list(connectionId, { ...filter, source });
}

async function findMember(ctx: PsaServiceContext, selector: MemberSelector): Promise<PsaMember> {
	if (selector.id !== undefined && selector.id !== null && String(selector.id) !== '') {
		return ctx.provider.getMember(requireId(selector.id, 'Member ID'));
	}
	const identifier = requireText(selector.identifier, 'Member identifier', 100);
	const member = await ctx.provider.findMemberByIdentifier(identifier);
	if (!member) {
		throw new PsaError('not-found', `No member has the identifier "${identifier}"`, {
			hint: 'Check the identifier (the member\'s login name in the PSA) or choose the member from the list.',
		});
	}
	return member;
}

function fromMapping(mapping: MemberMapping, resolvedBy: ResolvedMember['resolvedBy']): ResolvedMember {
	return {
		source: mapping.source,
		identity: mapping.identity,
		memberId: mapping.memberId,
		memberIdentifier: mapping.memberIdentifier,
		kind: mapping.kind,
		resolvedBy,
	};
}
