/**
 * @module timeline
 * One line per event of a run, in the order they happened.
 */
import type { UmcaEvent } from '@umca/contracts';
import { clockTime, el, formatMs } from '../dom.js';

function describe(event: UmcaEvent): { kind: string; text: string } {
  switch (event.type) {
    case 'dev.umca.run.created.v1':
      return {
        kind: 'info',
        text: `created: ${event.data.language}, ${event.data.codeBytes} bytes, limit ${formatMs(event.data.limits.timeoutMs)}`,
      };
    case 'dev.umca.lane.selected.v1':
      return { kind: 'info', text: `lane: ${event.data.lane}/${event.data.runtime}, ${event.data.reason}` };
    case 'dev.umca.run.started.v1':
      return {
        kind: 'info',
        text: event.data.runtime
          ? `started in ${event.data.lane}/${event.data.runtime} after ${formatMs(event.data.queuedMs)} in the queue`
          : 'started',
      };
    case 'dev.umca.output.appended.v1':
      return { kind: event.data.stream, text: `${event.data.stream}: ${event.data.text.trimEnd().split('\n')[0]?.slice(0, 120) ?? ''}` };
    case 'dev.umca.egress.allowed.v1':
      return {
        kind: 'allowed',
        text: `${event.data.attempt.method} ${event.data.attempt.url}: allowed (${event.data.attempt.status ?? 'no response'})`,
      };
    case 'dev.umca.egress.denied.v1':
      return { kind: 'denied', text: `${event.data.attempt.method} ${event.data.attempt.url}: denied, ${event.data.attempt.reason}` };
    case 'dev.umca.code.executed.v1':
      return {
        kind: 'info',
        text: `executed: ${event.data.status}, exit code ${event.data.exitCode ?? '–'}, ${formatMs(event.data.durationMs)}`,
      };
    case 'dev.umca.run.ended.v1':
      return {
        kind: event.data.status === 'ok' ? 'ok' : 'error',
        text: `ended: ${event.data.status}${event.data.reason ? `, ${event.data.reason}` : ''}`,
      };
    case 'dev.umca.task.created.v1':
      return {
        kind: 'info',
        text: `task: ${event.data.task.slice(0, 120)} (${event.data.language}, ${event.data.models.join(' → ') || 'no model'})`,
      };
    case 'dev.umca.step.started.v1':
      return { kind: 'info', text: `${event.data.step}${event.data.iteration ? ` (round ${event.data.iteration})` : ''}…` };
    case 'dev.umca.step.ended.v1':
      return {
        kind: event.data.outcome === 'ok' ? 'info' : 'error',
        text: `${event.data.step} ${event.data.outcome} in ${formatMs(event.data.durationMs)}${event.data.summary ? `: ${event.data.summary.slice(0, 160)}` : ''}`,
      };
    case 'dev.umca.model.called.v1':
      return {
        kind: event.data.error ? 'error' : 'info',
        text: event.data.error
          ? `model ${event.data.model} failed: ${event.data.error}`
          : `model ${event.data.model}: ${event.data.promptTokens} → ${event.data.completionTokens} tokens, ${formatMs(event.data.latencyMs)}`,
      };
    case 'dev.umca.tool.called.v1': {
      const who = event.data.caller === 'agent' ? ` by the ${event.data.step ?? 'agent'} step` : '';
      const how =
        event.data.outcome === 'ok' ? 'answered' : event.data.outcome === 'tool_error' ? 'failed' : `no answer (${event.data.outcome})`;
      return {
        kind: event.data.outcome === 'ok' ? 'allowed' : 'error',
        text: `tool ${event.data.name}${who}: ${how}, ${formatMs(event.data.durationMs)}${event.data.message ? `: ${event.data.message.slice(0, 160)}` : ''}`,
      };
    }
    case 'dev.umca.policy.denied.v1':
      return { kind: 'denied', text: `refused ${event.data.tool} (${event.data.rule}): ${event.data.message.slice(0, 200)}` };
    case 'dev.umca.checks.evaluated.v1': {
      const passed = event.data.checks.filter((check) => check.passed).length;
      return {
        kind: event.data.verdict === 'pass' ? 'ok' : 'denied',
        text: `checks round ${event.data.iteration}: ${passed}/${event.data.checks.length} passed, ${event.data.verdict}`,
      };
    }
    case 'dev.umca.error.raised.v1':
      return { kind: 'error', text: `error: ${event.data.message}` };
    default:
      return { kind: 'info', text: (event as { type: string }).type };
  }
}

export function timelineEntry(event: UmcaEvent): HTMLLIElement {
  const { kind, text } = describe(event);
  return el(
    'li',
    { 'data-kind': kind, 'data-type': event.type },
    el('time', {}, clockTime(event.time)),
    el('span', { class: 'type' }, text),
  );
}
