/**
 * The operations blocks of DESIGN.md §9: `log { redact = [...] }` (header names never
 * written to a log line) and `telemetry { otlp = "…" }` (where OpenTelemetry spans go).
 * Each may be written once, in any file.
 */
import type { LogSpec, TelemetrySpec } from '../spec/types.js';
import type { HclBlock } from './ast.js';
import { dispatch, labels, stringList, stringValue, type BuildContext } from './read.js';

export function buildLog(block: HclBlock, ctx: BuildContext): LogSpec {
  labels(block, [], 0, ctx);
  const log: LogSpec = { redact: [], pos: block.pos };
  dispatch(
    block.body,
    { attributes: { redact: (a) => log.redact.push(...stringList(a, 'in log', ctx)) } },
    'in log',
    ctx,
  );
  return log;
}

export function buildTelemetry(block: HclBlock, ctx: BuildContext): TelemetrySpec {
  labels(block, [], 0, ctx);
  const telemetry: TelemetrySpec = { pos: block.pos };
  dispatch(
    block.body,
    {
      attributes: {
        otlp: (a) => {
          const value = stringValue(a, 'in telemetry', ctx);
          if (value) telemetry.otlp = value;
        },
      },
    },
    'in telemetry',
    ctx,
  );
  return telemetry;
}
