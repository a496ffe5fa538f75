// The part of docs/benchmarks.md that explains the missed targets: causes found by profiling, what is left and why.
export const ANALYSIS = `## Why targets were missed, and what remains

(analysis pending)
`;
