export declare const CHROMIUM_HINT: string;
export declare function findChromium(env?: NodeJS.ProcessEnv): string | null;
export declare function browserRequired(env?: NodeJS.ProcessEnv): boolean;
