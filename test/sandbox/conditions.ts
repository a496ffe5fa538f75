// Parses and evaluates ConnectWise `conditions` expressions (the query language of every list endpoint).

export type ConditionValue = string | number | boolean | null | Date | ConditionValue[];

export type ConditionNode =
	| { kind: 'and' | 'or'; left: ConditionNode; right: ConditionNode }
	| { kind: 'not'; operand: ConditionNode }
	| { kind: 'compare'; field: string; operator: ComparisonOperator; value: ConditionValue };

export type ComparisonOperator =
	| '='
	| '!='
	| '<'
	| '>'
	| '<='
	| '>='
	| 'like'
	| 'not like'
	| 'contains'
	| 'not contains'
	| 'in'
	| 'not in';

/** A syntax error; `position` is the 0-based character offset in the expression. */
export class ConditionSyntaxError extends Error {
	constructor(
		message: string,
		readonly position: number,
	) {
		super(`${message} at position ${position}`);
		this.name = 'ConditionSyntaxError';
	}
}

type Token =
	| { type: 'field'; text: string; position: number }
	| { type: 'string'; value: string; position: number }
	| { type: 'number'; value: number; position: number }
	| { type: 'date'; value: Date; position: number }
	| { type: 'operator'; text: string; position: number }
	| { type: 'punct'; text: '(' | ')' | ','; position: number };

const fieldStart = /[A-Za-z_]/;
const fieldChar = /[A-Za-z0-9_/.]/;

function tokenize(source: string): Token[] {
	const tokens: Token[] = [];
	let index = 0;
	while (index < source.length) {
		const char = source[index];
		if (/\s/.test(char)) {
			index++;
			continue;
		}
		const position = index;
		if (char === '(' || char === ')' || char === ',') {
			tokens.push({ type: 'punct', text: char, position });
			index++;
			continue;
		}
		if (char === '"' || char === "'") {
			// Quotes inside a value are escaped with a backslash; a backslash escapes itself.
			let value = '';
			index++;
			let closed = false;
			while (index < source.length) {
				const current = source[index];
				if (current === '\\' && index + 1 < source.length) {
					value += source[index + 1];
					index += 2;
					continue;
				}
				if (current === char) {
					closed = true;
					index++;
					break;
				}
				value += current;
				index++;
			}
			if (!closed) throw new ConditionSyntaxError('Unterminated string', position);
			tokens.push({ type: 'string', value, position });
			continue;
		}
		if (char === '[') {
			const end = source.indexOf(']', index);
			if (end < 0) throw new ConditionSyntaxError('Unterminated date', position);
			const text = source.slice(index + 1, end).trim();
			const value = new Date(text);
			if (!text || Number.isNaN(value.getTime())) throw new ConditionSyntaxError(`Invalid date [${text}]`, position);
			tokens.push({ type: 'date', value, position });
			index = end + 1;
			continue;
		}
		const twoChars = source.slice(index, index + 2);
		if (twoChars === '!=' || twoChars === '<=' || twoChars === '>=' || twoChars === '<>') {
			tokens.push({ type: 'operator', text: twoChars === '<>' ? '!=' : twoChars, position });
			index += 2;
			continue;
		}
		if (char === '=' || char === '<' || char === '>') {
			tokens.push({ type: 'operator', text: char, position });
			index++;
			continue;
		}
		const numberMatch = /^-?\d+(\.\d+)?/.exec(source.slice(index));
		if (numberMatch && (char !== '-' || /\d/.test(source[index + 1] ?? ''))) {
			tokens.push({ type: 'number', value: Number(numberMatch[0]), position });
			index += numberMatch[0].length;
			continue;
		}
		if (fieldStart.test(char)) {
			let end = index + 1;
			while (end < source.length && fieldChar.test(source[end])) end++;
			tokens.push({ type: 'field', text: source.slice(index, end), position });
			index = end;
			continue;
		}
		throw new ConditionSyntaxError(`Unexpected character '${char}'`, position);
	}
	return tokens;
}

class Parser {
	private index = 0;

	constructor(
		private readonly tokens: Token[],
		private readonly sourceLength: number,
	) {}

	parse(): ConditionNode {
		const node = this.parseOr();
		const extra = this.peek();
		if (extra) throw new ConditionSyntaxError(`Unexpected '${describe(extra)}'`, extra.position);
		return node;
	}

	private peek(): Token | undefined {
		return this.tokens[this.index];
	}

	private isWord(token: Token | undefined, word: string): boolean {
		return token?.type === 'field' && token.text.toLowerCase() === word;
	}

	private parseOr(): ConditionNode {
		let left = this.parseAnd();
		while (this.isWord(this.peek(), 'or')) {
			this.index++;
			left = { kind: 'or', left, right: this.parseAnd() };
		}
		return left;
	}

	private parseAnd(): ConditionNode {
		let left = this.parseUnary();
		while (this.isWord(this.peek(), 'and')) {
			this.index++;
			left = { kind: 'and', left, right: this.parseUnary() };
		}
		return left;
	}

	private parseUnary(): ConditionNode {
		const token = this.peek();
		if (this.isWord(token, 'not')) {
			this.index++;
			return { kind: 'not', operand: this.parseUnary() };
		}
		if (token?.type === 'punct' && token.text === '(') {
			this.index++;
			const inner = this.parseOr();
			this.expectPunct(')');
			return inner;
		}
		return this.parseComparison();
	}

	private parseComparison(): ConditionNode {
		const fieldToken = this.peek();
		if (!fieldToken) throw new ConditionSyntaxError('Expected a field name', this.sourceLength);
		if (fieldToken.type !== 'field' || ['and', 'or', 'not', 'like', 'contains', 'in'].includes(fieldToken.text.toLowerCase())) {
			throw new ConditionSyntaxError(`Expected a field name, found '${describe(fieldToken)}'`, fieldToken.position);
		}
		this.index++;
		const operator = this.parseOperator();
		if (operator === 'in' || operator === 'not in') {
			this.expectPunct('(');
			const values: ConditionValue[] = [this.parseValue()];
			while (this.peek()?.type === 'punct' && (this.peek() as { text: string }).text === ',') {
				this.index++;
				values.push(this.parseValue());
			}
			this.expectPunct(')');
			return { kind: 'compare', field: fieldToken.text, operator, value: values };
		}
		return { kind: 'compare', field: fieldToken.text, operator, value: this.parseValue() };
	}

	private parseOperator(): ComparisonOperator {
		const token = this.peek();
		if (!token) throw new ConditionSyntaxError('Expected an operator', this.sourceLength);
		if (token.type === 'operator') {
			this.index++;
			return token.text as ComparisonOperator;
		}
		if (token.type === 'field') {
			const word = token.text.toLowerCase();
			if (word === 'like' || word === 'contains' || word === 'in') {
				this.index++;
				return word;
			}
			if (word === 'not') {
				const next = this.tokens[this.index + 1];
				const nextWord = next?.type === 'field' ? next.text.toLowerCase() : '';
				if (nextWord === 'like' || nextWord === 'contains' || nextWord === 'in') {
					this.index += 2;
					return `not ${nextWord}` as ComparisonOperator;
				}
			}
		}
		throw new ConditionSyntaxError(`Expected an operator, found '${describe(token)}'`, token.position);
	}

	private parseValue(): ConditionValue {
		const token = this.peek();
		if (!token) throw new ConditionSyntaxError('Expected a value', this.sourceLength);
		this.index++;
		switch (token.type) {
			case 'string':
			case 'number':
			case 'date':
				return token.value;
			case 'field': {
				const word = token.text.toLowerCase();
				if (word === 'true') return true;
				if (word === 'false') return false;
				if (word === 'null') return null;
				// ConnectWise rejects bare words as values: strings must be quoted.
				throw new ConditionSyntaxError(`Unquoted value '${token.text}' (quote strings with ")`, token.position);
			}
			default:
				throw new ConditionSyntaxError(`Expected a value, found '${describe(token)}'`, token.position);
		}
	}

	private expectPunct(text: '(' | ')'): void {
		const token = this.peek();
		if (token?.type !== 'punct' || token.text !== text) {
			throw new ConditionSyntaxError(`Expected '${text}'`, token?.position ?? this.sourceLength);
		}
		this.index++;
	}
}

function describe(token: Token): string {
	switch (token.type) {
		case 'string':
			return `"${token.value}"`;
		case 'number':
			return String(token.value);
		case 'date':
			return `[${token.value.toISOString()}]`;
		default:
			return token.text;
	}
}

export function parseConditions(source: string): ConditionNode {
	const tokens = tokenize(source);
	if (tokens.length === 0) throw new ConditionSyntaxError('Empty conditions', 0);
	return new Parser(tokens, source.length).parse();
}

/** Every field path an expression mentions, for unknown-field checks. */
export function conditionFields(node: ConditionNode): string[] {
	switch (node.kind) {
		case 'and':
		case 'or':
			return [...conditionFields(node.left), ...conditionFields(node.right)];
		case 'not':
			return conditionFields(node.operand);
		default:
			return [node.field];
	}
}

/**
 * Values at a slash path; arrays along the way fan out (communicationItems/value matches any item).
 * Dates and audit fields live under `_info` in ConnectWise responses but are queryable by bare name.
 */
export function valuesAtPath(record: unknown, path: string): unknown[] {
	const segments = path.split(/[/.]/);
	let current: unknown[] = [record];
	for (const [position, segment] of segments.entries()) {
		const next: unknown[] = [];
		for (const item of current) {
			if (item === null || typeof item !== 'object') continue;
			const object = item as Record<string, unknown>;
			let value = object[segment];
			if (value === undefined) {
				// Field names are case-insensitive in ConnectWise queries.
				const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === segment.toLowerCase());
				if (key !== undefined) value = object[key];
			}
			if (value === undefined && position === 0 && object._info && typeof object._info === 'object') {
				value = (object._info as Record<string, unknown>)[segment];
			}
			if (Array.isArray(value)) next.push(...value);
			else next.push(value);
		}
		current = next;
	}
	return current;
}

// SQL Server's default collation, which ConnectWise runs on, compares text case-insensitively.
function compareValues(actual: unknown, expected: ConditionValue): number | undefined {
	if (actual === undefined || actual === null || expected === null) return undefined;
	if (expected instanceof Date) {
		const time = new Date(String(actual)).getTime();
		return Number.isNaN(time) ? undefined : Math.sign(time - expected.getTime());
	}
	if (typeof expected === 'number') {
		const number = typeof actual === 'number' ? actual : Number(actual);
		return Number.isNaN(number) ? undefined : Math.sign(number - expected);
	}
	if (typeof expected === 'boolean') {
		if (typeof actual !== 'boolean') return undefined;
		return actual === expected ? 0 : actual ? 1 : -1;
	}
	if (Array.isArray(expected)) return undefined;
	const left = String(actual).toLowerCase();
	const right = String(expected).toLowerCase();
	return left < right ? -1 : left > right ? 1 : 0;
}

function likeToRegExp(pattern: string): RegExp {
	const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/[*%]/g, '.*');
	return new RegExp(`^${escaped}$`, 'is');
}

function matchesOne(actual: unknown, operator: ComparisonOperator, expected: ConditionValue): boolean {
	switch (operator) {
		case '=':
			if (expected === null) return actual === null || actual === undefined;
			return compareValues(actual, expected) === 0;
		case '!=':
			if (expected === null) return actual !== null && actual !== undefined;
			return compareValues(actual, expected) !== 0;
		case '<':
			return compareValues(actual, expected) === -1;
		case '>':
			return compareValues(actual, expected) === 1;
		case '<=': {
			const order = compareValues(actual, expected);
			return order === -1 || order === 0;
		}
		case '>=': {
			const order = compareValues(actual, expected);
			return order === 1 || order === 0;
		}
		case 'like':
			return actual !== null && actual !== undefined && likeToRegExp(String(expected)).test(String(actual));
		case 'contains':
			return actual !== null && actual !== undefined && String(actual).toLowerCase().includes(String(expected).toLowerCase());
		case 'in':
			return Array.isArray(expected) && expected.some((candidate) => matchesOne(actual, '=', candidate));
		default:
			return false;
	}
}

export function evaluateConditions(node: ConditionNode, record: unknown): boolean {
	switch (node.kind) {
		case 'and':
			return evaluateConditions(node.left, record) && evaluateConditions(node.right, record);
		case 'or':
			return evaluateConditions(node.left, record) || evaluateConditions(node.right, record);
		case 'not':
			return !evaluateConditions(node.operand, record);
		default: {
			const values = valuesAtPath(record, node.field);
			// A path through a missing reference (type/id of a ticket without a type) is null, as SQL's join makes it.
			if (values.length === 0) values.push(undefined);
			if (node.operator.startsWith('not ')) {
				const positive = node.operator.slice(4) as ComparisonOperator;
				return !values.some((value) => matchesOne(value, positive, node.value));
			}
			if (node.operator === '!=') {
				// `x != v` is true when no value equals v (a missing value is not equal to anything).
				return !values.some((value) => matchesOne(value, '=', node.value));
			}
			return values.some((value) => matchesOne(value, node.operator, node.value));
		}
	}
}
