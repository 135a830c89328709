// node:os in the page (the CPU solver's panel-width heuristic asks for the core count).
export const availableParallelism = (): number => navigator.hardwareConcurrency || 1;
