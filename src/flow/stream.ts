/**
 * Runs a stream flow (compile/stream.ts): first its prelude through the executor — every
 * other resource, with conditions, errors and rollbacks as for any flow — then the
 * streaming call on the context the prelude filled, each upstream message mapped by the
 * output block:
 *
 *   prelude (executor) ──ok──▶ open stream ──▶ message ─▶ output(ctx) ─▶ event
 *                     └─fail─▶ FlowFailure (answered like any flow error)
 *
 * The messages are pulled: the transport writes one, waits until the client can take
 * more, then asks for the next, so backpressure reaches the upstream.
 */
import type { ExecContext, FlowPlan } from '../compile/plan.js';
import { CallError } from '../errors.js';
import { streamOpener } from './bind.js';
import { evaluateNamed } from './context.js';
import type { FlowFailure, FlowRequest, FlowResult } from './types.js';

/** What runs the prelude: the executor, or a listener's metered wrapper of it. */
export interface PreludeRunner {
  run(flow: FlowPlan, request: FlowRequest): Promise<FlowResult>;
}

export interface OpenedStream {
  ok: true;
  /** Output headers, evaluated before the first message. */
  header: Record<string, string>;
  /** Mapped messages; ends when the upstream ends, throws a CallError when it fails. */
  events: AsyncIterable<unknown>;
}

export async function openFlowStream(
  flow: FlowPlan,
  request: FlowRequest,
  runner: PreludeRunner,
): Promise<OpenedStream | FlowFailure> {
  const stream = flow.stream!;
  const result = await runner.run(stream.prelude, request);
  if (!result.ok) return result;
  const ctx = result.body as ExecContext;
  const node = flow.nodes[stream.node]!;
  const call = node.call!;
  const output = flow.output;
  const header = output ? evaluateNamed(output.header, ctx) : {};
  if (node.condition && !node.condition(ctx)) return { ok: true, header, events: empty() };
  const open = streamOpener(flow);
  if (!open) throw new CallError(`service ${call.service.fullName} cannot stream yet`, 501);
  const body = call.body?.(ctx) as Record<string, unknown> | undefined;
  ctx.requests[node.index] = body;
  const messages = open(
    {
      body,
      params: evaluateNamed(call.params, ctx),
      headers: evaluateNamed(call.header, ctx),
      requestId: ctx.requestId,
    },
    request.signal,
  );
  return { ok: true, header, events: mapped(messages, ctx, node.index, flow) };
}

async function* mapped(
  messages: AsyncIterable<unknown>,
  ctx: ExecContext,
  index: number,
  flow: FlowPlan,
): AsyncGenerator<unknown> {
  for await (const message of messages) {
    ctx.responses[index] = message;
    yield flow.output ? flow.output.body(ctx) : message;
  }
}

async function* empty(): AsyncGenerator<unknown> {}
