/**
 * Error handling is inherited: a failing resource uses its own `on_error` and `error`
 * blocks, else its flow's, else the global ones. Each is compiled in the scope of the
 * site that uses it, so `{{ input:id }}` and `{{ user.error:reason }}` resolve there.
 */
import type { ErrorObjectSpec, FlowSpec, OnErrorSpec, ResourceSpec, Spec } from '../spec/types.js';
import type { ErrorHandling, ErrorObjectPlan, OnErrorPlan } from './plan.js';
import type { Site } from './references.js';
import { compileMessage, compileNamed, compileValue } from './values.js';

export function compileErrorHandling(
  resource: ResourceSpec | undefined,
  flow: FlowSpec,
  spec: Spec,
  at: Site,
): ErrorHandling {
  const site: Site = { ...at, allowError: true, allowSelf: resource !== undefined };
  const onError = resource?.onError ?? flow.onError ?? spec.onError;
  const errorObject = resource?.error ?? flow.error ?? spec.error;
  return {
    onError: onError ? compileOnError(onError, site) : undefined,
    errorObject: errorObject ? compileErrorObject(errorObject, site) : undefined,
  };
}

function compileOnError(spec: OnErrorSpec, at: Site): OnErrorPlan {
  const site = { ...at, pos: spec.pos };
  return {
    status: spec.status
      ? compileValue(spec.status.value, { ...site, pos: spec.status.pos }, spec.status.pos).get
      : undefined,
    message: spec.message
      ? compileValue(spec.message.value, { ...site, pos: spec.message.pos }, spec.message.pos).get
      : undefined,
    params: compileNamed(spec.params, site, 'on_error params'),
  };
}

function compileErrorObject(spec: ErrorObjectSpec, at: Site): ErrorObjectPlan {
  const site = { ...at, pos: spec.pos };
  const type = spec.schema ? lookup(spec.schema, site) : undefined;
  return { body: compileMessage(spec.fields, type, site), type };
}

/**
 * Error schemas are descriptive in Semaphore's corpus (some name messages that no proto
 * defines), so an unknown one is a warning and the error object stays untyped.
 */
function lookup(name: string, site: Site) {
  const message = site.scope.schemas.messages.get(name);
  if (!message) {
    site.scope.diagnostics.warn(
      'MAESTRO_WARN_ERROR_SCHEMA',
      site.pos,
      `unknown error message "${name}"; the error object is untyped`,
    );
  }
  return message;
}
