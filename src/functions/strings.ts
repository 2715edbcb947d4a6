/** String functions: strconcat, upper, lower. Non-string arguments render as in text templates. */
import { renderText } from '../shared/values.js';
import type { TemplateFunction } from './function.js';

export const strconcat: TemplateFunction = {
  name: 'strconcat',
  minArgs: 0,
  maxArgs: Infinity,
  returns: 'string',
  invoke(args) {
    let text = '';
    for (const arg of args) text += renderText(arg);
    return text;
  },
};

export const upper: TemplateFunction = {
  name: 'upper',
  minArgs: 1,
  maxArgs: 1,
  returns: 'string',
  invoke: (args) => renderText(args[0]).toUpperCase(),
};

export const lower: TemplateFunction = {
  name: 'lower',
  minArgs: 1,
  maxArgs: 1,
  returns: 'string',
  invoke: (args) => renderText(args[0]).toLowerCase(),
};

export const stringFunctions: TemplateFunction[] = [strconcat, upper, lower];
