/**
 * @module editor-view
 * Write Python or JavaScript, set limits and allowed hosts, run it, and watch its output and
 * steps arrive live.
 */
import type { UmcaEvent } from '@umca/contracts';
import { umca } from '../api.js';
import { el, formatMs, statusBadge } from '../dom.js';
import { createRunLauncher } from './run-launcher.js';
import { timelineEntry } from './timeline.js';

const SAMPLES: Record<'python' | 'javascript', string> = {
  python:
    'import statistics\n\nnumbers = [3, 1, 4, 1, 5, 9, 2, 6]\nprint("mean:", statistics.mean(numbers))\nprint("sorted:", sorted(numbers))\n',
  javascript:
    'const numbers = [3, 1, 4, 1, 5, 9, 2, 6];\nconsole.log("max:", Math.max(...numbers));\nconsole.log("sorted:", [...numbers].sort((a, b) => a - b));\n',
};

let draft = { language: 'python' as 'python' | 'javascript', code: SAMPLES.python, timeoutMs: 10_000, memoryMb: 256, hosts: '' };

export function editorView(): { element: HTMLElement; dispose: () => void } {
  const language = el(
    'select',
    { 'aria-label': 'Language', 'data-testid': 'language' },
    el('option', { value: 'python' }, 'Python'),
    el('option', { value: 'javascript' }, 'JavaScript'),
  );
  language.value = draft.language;
  const code = el('textarea', { class: 'code', spellcheck: 'false', 'aria-label': 'Code', 'data-testid': 'code' });
  code.value = draft.code;
  const timeout = el('input', { type: 'number', min: 1, max: 300000, value: draft.timeoutMs, 'aria-label': 'Timeout (ms)' });
  const memory = el('input', { type: 'number', min: 16, max: 4096, value: draft.memoryMb, 'aria-label': 'Memory (MiB)' });
  const hosts = el('textarea', {
    class: 'hosts',
    placeholder: 'https://api.example.com\n(one per line; empty: no network)',
    'aria-label': 'Allowed outbound hosts',
    'data-testid': 'hosts',
  });
  hosts.value = draft.hosts;
  const output = el('pre', { class: 'output', 'data-testid': 'output', 'aria-live': 'polite' });
  const timeline = el('ol', { class: 'timeline', 'data-testid': 'timeline' });
  const facts = el('span', { class: 'empty' });

  const save = () => {
    draft = {
      language: language.value as 'python' | 'javascript',
      code: code.value,
      timeoutMs: Number(timeout.value),
      memoryMb: Number(memory.value),
      hosts: hosts.value,
    };
  };
  language.addEventListener('change', () => {
    if (code.value === SAMPLES.python || code.value === SAMPLES.javascript) code.value = SAMPLES[language.value as 'python' | 'javascript'];
    save();
  });
  for (const input of [code, timeout, memory, hosts]) input.addEventListener('input', save);

  const launcher = createRunLauncher({
    label: 'Run ▶',
    testIds: { run: 'run', cancel: 'cancel', problem: 'problem', status: 'run-status' },
    reset() {
      save();
      output.replaceChildren();
      timeline.replaceChildren();
      facts.textContent = '';
    },
    submit: () =>
      umca.submitExecution({
        language: draft.language,
        code: draft.code,
        limits: { timeoutMs: draft.timeoutMs, memoryMb: draft.memoryMb },
        allowedOutboundHosts: draft.hosts
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean),
      }),
    onEvent(event: UmcaEvent) {
      timeline.append(timelineEntry(event));
      timeline.scrollTop = timeline.scrollHeight;
      if (event.type === 'dev.umca.output.appended.v1') {
        output.append(el('span', { class: event.data.stream }, event.data.text));
        output.scrollTop = output.scrollHeight;
      }
      if (event.type === 'dev.umca.code.executed.v1')
        facts.textContent = `exit code ${event.data.exitCode ?? '–'} · ${formatMs(event.data.durationMs)} · ${event.data.runtime ?? ''}`;
      if (event.type === 'dev.umca.run.ended.v1') {
        launcher.status.replaceChildren(statusBadge(event.data.status));
        if (event.data.reason && event.data.status !== 'ok') {
          launcher.problem.replaceChildren(el('div', { class: 'error-box' }, event.data.reason));
        }
      }
    },
  });
  const { runButton, cancelButton, problem, status, runLink } = launcher;

  code.addEventListener('keydown', (event) => {
    if (event.key === 'Tab') {
      event.preventDefault();
      code.setRangeText('    ', code.selectionStart, code.selectionEnd, 'end');
    }
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) runButton.click();
  });

  const element = el(
    'section',
    {},
    el(
      'div',
      { class: 'panel' },
      el('h2', {}, 'Code'),
      el(
        'div',
        { class: 'row' },
        el('label', {}, 'Language', language),
        el('label', {}, 'Timeout (ms)', timeout),
        el('label', {}, 'Memory (MiB)', memory),
        el('span', { class: 'spacer' }),
        runButton,
        cancelButton,
      ),
      code,
      el('label', { style: 'margin-top: 10px' }, 'Allowed outbound hosts (Spin syntax)', hosts),
    ),
    el(
      'div',
      { class: 'panel' },
      el('h2', {}, 'Output ', status, runLink),
      problem,
      output,
      el('div', { style: 'margin-top: 8px; font-size: 12px; color: #656d76' }, facts),
    ),
    el('div', { class: 'panel' }, el('h2', {}, 'Steps'), timeline),
  );
  return { element, dispose: launcher.dispose };
}
