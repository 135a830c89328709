export declare function newest(paths: string[]): number;
export declare const CLI_SOURCES: string[];
export declare const CLI_BUNDLE: string;
export declare function cliBundleFresh(root: string): boolean;
