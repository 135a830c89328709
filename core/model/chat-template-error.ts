// The one error of chat templates: a template outside the supported subset, or one that raises.
export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}
