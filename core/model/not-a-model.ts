// One answer for every path that cannot be opened as a model — missing, unreadable, a folder without
// config.json, a file that is not a .json — so a token-holder of the API cannot use the errors to learn
// which paths exist (issue 17, item 14), while a user who mistyped still reads what was expected.
export const notAModel = (path: string): string => `${path} is not a model folder or config.json Slice Studio can open`;
