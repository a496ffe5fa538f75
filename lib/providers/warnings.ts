// Where a provider's warnings wait to be reported: with the unit of work (a node's item) whose request brought them, when one is running.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PsaWarning } from './types';

/**
 * A node runs several items at once over one provider; a single list would hand a warning to whichever item finished
 * first. Each unit keeps its own lists, one per provider log, found through the async context its requests run in.
 */
const units = new AsyncLocalStorage<Map<WarningLog, PsaWarning[]>>();

export class WarningLog {
	/** Warnings brought by requests made outside any unit (a provider used directly). */
	private readonly outside: PsaWarning[] = [];

	push(warning: PsaWarning): void {
		const unit = units.getStore();
		if (!unit) {
			this.outside.push(warning);
			return;
		}
		const list = unit.get(this);
		if (list) list.push(warning);
		else unit.set(this, [warning]);
	}

	/** Returns and clears the current unit's warnings (outside a unit: those collected outside any). */
	take(): PsaWarning[] {
		const unit = units.getStore();
		if (!unit) return this.outside.splice(0, this.outside.length);
		const list = unit.get(this) ?? [];
		unit.delete(this);
		return list;
	}
}

/** Runs `work` as a unit of its own: the warnings its requests bring are taken from inside it, not by work running beside it. */
export function withOwnWarnings<T>(work: () => T): T {
	return units.run(new Map(), work);
}
