/**
 * @module task-progress
 * The live view of a task in the terminal: one line per step as it starts and ends, the model
 * that answered with its tokens, the program's output indented, and the checks' verdict.
 */
import type { UmcaEvent } from '@umca/contracts';

const LABELS = { plan: 'plan', code: 'write code', execute: 'run', test: 'check' } as const;

export function createTaskProgress(write: (text: string) => void, color = false) {
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  let lineOpen = false;
  const endLine = () => {
    if (lineOpen) write('\n');
    lineOpen = false;
  };
  return (event: UmcaEvent) => {
    switch (event.type) {
      case 'dev.umca.task.created.v1':
        write(
          `${paint('1', 'task')} ${event.data.task}\n${paint('2', `  model ${event.data.models.join(' → ')}, ${event.data.language}, up to ${event.data.maxIterations} round(s)`)}\n`,
        );
        break;
      case 'dev.umca.step.started.v1':
        endLine();
        write(`${paint('36', '▸')} ${LABELS[event.data.step]}${event.data.iteration ? ` #${event.data.iteration}` : ''} … `);
        lineOpen = true;
        break;
      case 'dev.umca.model.called.v1':
        if (!event.data.error) {
          write(
            paint(
              '2',
              `[${event.data.model} ${event.data.promptTokens}+${event.data.completionTokens} tokens, ${(event.data.latencyMs / 1000).toFixed(1)} s] `,
            ),
          );
        }
        break;
      case 'dev.umca.output.appended.v1':
        endLine();
        write(paint(event.data.stream === 'stderr' ? '31' : '2', event.data.text.replace(/^(?=.)/gm, '    │ ')));
        if (!event.data.text.endsWith('\n')) write('\n');
        break;
      case 'dev.umca.step.ended.v1': {
        const mark =
          event.data.outcome === 'ok' ? paint('32', '✓') : event.data.outcome === 'cancelled' ? paint('33', '⏹') : paint('31', '✗');
        if (!lineOpen) write(`  ${LABELS[event.data.step]}${event.data.iteration ? ` #${event.data.iteration}` : ''} `);
        write(`${mark}${event.data.summary ? ` ${event.data.summary}` : ''}\n`);
        lineOpen = false;
        break;
      }
      case 'dev.umca.checks.evaluated.v1':
        for (const check of event.data.checks.filter((candidate) => !candidate.passed)) {
          endLine();
          write(paint('31', `    ✗ ${check.name}${check.detail ? `: ${check.detail}` : ''}\n`));
        }
        break;
      case 'dev.umca.tool.called.v1':
        endLine();
        write(
          paint(
            event.data.outcome === 'ok' ? '2' : '31',
            `    ${event.data.outcome === 'ok' ? '⚙' : '✗'} tool ${event.data.name}${event.data.caller === 'agent' ? ' (asked by the model)' : ''}: ${event.data.outcome === 'ok' ? 'answered' : event.data.outcome}${event.data.message ? `, ${event.data.message}` : ''}\n`,
          ),
        );
        break;
      case 'dev.umca.policy.denied.v1':
        endLine();
        write(paint('31', `    ✗ refused ${event.data.tool}: ${event.data.message}\n`));
        break;
      case 'dev.umca.egress.denied.v1':
        endLine();
        write(paint('31', `    ✗ outbound ${event.data.attempt.method} ${event.data.attempt.url}: ${event.data.attempt.reason}\n`));
        break;
      default:
        break;
    }
  };
}
