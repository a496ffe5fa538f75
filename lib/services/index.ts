// The services the nodes call: one module per domain rule set.
export * from './context';
export * from './link';
export * from './note';
export * from './status';
export * from './member-map';
export * from './connection';
export * from './ticket-ref';
export * from './ticket-state';
export * from './time-entry';
export * from './attachment';
