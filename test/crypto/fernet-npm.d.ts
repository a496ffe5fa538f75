// Types for the npm `fernet` package (dev dependency, used only to check interoperability); it ships none.
declare module 'fernet' {
	export class Secret {
		constructor(key: string);
	}
	export class Token {
		constructor(options: { secret: Secret; token?: string; ttl?: number; time?: string | Date; iv?: number[] });
		encode(message: string): string;
		decode(token?: string): string;
	}
}
