// The conditions parser and evaluator on their own: grammar, quoting, dates, nesting and errors.
import { ConditionSyntaxError, evaluateConditions, parseConditions } from './conditions';

const ticket = {
	id: 7,
	summary: 'Printer says "PC LOAD LETTER"',
	closedFlag: false,
	board: { id: 1, name: 'Help Desk' },
	status: { id: 102, name: 'In Progress' },
	owner: null,
	budgetHours: 2.5,
	_info: { lastUpdated: '2025-03-01T10:00:00Z' },
	items: [{ value: 'a@x.example' }, { value: 'b@y.example' }],
};
const matches = (source: string) => evaluateConditions(parseConditions(source), ticket);

describe('conditions', () => {
	it('compares numbers, booleans, null and strings (case-insensitively, as SQL Server does)', () => {
		expect(matches('id = 7')).toBe(true);
		expect(matches('id != 7')).toBe(false);
		expect(matches('id > 6 and id >= 7 and id < 8 and id <= 7')).toBe(true);
		expect(matches('budgetHours > 2.25')).toBe(true);
		expect(matches('closedFlag = false')).toBe(true);
		expect(matches('closedFlag = true')).toBe(false);
		expect(matches('owner = null')).toBe(true);
		expect(matches('owner != null')).toBe(false);
		expect(matches('board/name = "help desk"')).toBe(true);
		expect(matches("board/name = 'Help Desk'")).toBe(true);
		expect(matches('board/name != "Help Desk"')).toBe(false);
	});

	it('handles like with *, contains, in and their negations', () => {
		expect(matches('board/name like "Help*"')).toBe(true);
		expect(matches('board/name like "*Desk"')).toBe(true);
		expect(matches('board/name like "Desk*"')).toBe(false);
		expect(matches('summary contains "load letter"')).toBe(true);
		expect(matches('summary not contains "toner"')).toBe(true);
		expect(matches('board/name not like "Help*"')).toBe(false);
		expect(matches('status/id in (101, 102)')).toBe(true);
		expect(matches('status/id not in (101, 103)')).toBe(true);
	});

	it('reads escaped quotes inside strings, and treats like metacharacters in values literally', () => {
		expect(matches('summary = "Printer says \\"PC LOAD LETTER\\""')).toBe(true);
		expect(matches("summary = 'Printer says \"PC LOAD LETTER\"'")).toBe(true);
		expect(matches('summary like "Printer says (PC*"')).toBe(false);
		expect(matches('summary like "Printer says \\"PC*"')).toBe(true);
		const tree = parseConditions('summary = "a \\\\ b"');
		expect(tree).toEqual({ kind: 'compare', field: 'summary', operator: '=', value: 'a \\ b' });
	});

	it('compares [dates], falling back to _info for audit fields', () => {
		expect(matches('lastUpdated > [2025-01-01T00:00:00Z]')).toBe(true);
		expect(matches('lastUpdated < [2025-01-01]')).toBe(false);
		expect(matches('_info/lastUpdated >= [2025-03-01T10:00:00Z]')).toBe(true);
	});

	it('honours precedence (and binds tighter than or), parentheses and not', () => {
		expect(matches('id = 1 or id = 7 and closedFlag = true')).toBe(false);
		expect(matches('(id = 1 or id = 7) and closedFlag = false')).toBe(true);
		expect(matches('id = 7 and (board/id = 2 or (status/name = "In Progress" and not closedFlag = true))')).toBe(true);
		expect(matches('ID = 7 AND closedFlag = FALSE')).toBe(true);
	});

	it('matches any element along an array path', () => {
		expect(matches('items/value = "b@y.example"')).toBe(true);
		expect(matches('items/value like "*@z.example"')).toBe(false);
	});

	it.each([
		['summary = "unterminated', /Unterminated string at position 10/],
		['id = ', /Expected a value at position 5/],
		['id 7', /Expected an operator, found '7' at position 3/],
		['(id = 7', /Expected '\)' at position 7/],
		['id = 7 id = 8', /Unexpected 'id' at position 7/],
		['board/name = Help', /Unquoted value 'Help'/],
		['lastUpdated > [not a date]', /Invalid date/],
		['id = 7 and', /Expected a field name at position 10/],
		['id # 7', /Unexpected character '#'/],
		['', /Empty conditions/],
	])('rejects %j with a positioned error', (source, message) => {
		expect(() => parseConditions(source)).toThrow(ConditionSyntaxError);
		expect(() => parseConditions(source)).toThrow(message);
	});
});
