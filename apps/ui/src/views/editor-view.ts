/**
 * @module editor-view
 * Write Python or JavaScript, set limits and allowed hosts, run it, and watch its output and
 * steps arrive live. Switching language never changes code silently: the example swaps for the
 * other language's, and code someone wrote stays, with a note that it is the other language's.
 */
import type { UmcaEvent } from '@umca/contracts';
import { umca } from '../api.js';
import { el, formatMs, statusBadge } from '../dom.js';
import { createRunLauncher } from './run-launcher.js';
import { timelineEntry } from './timeline.js';

type Language = 'python' | 'javascript';

const SAMPLES: Record<Language, string> = {
  python:
    'import statistics\n\nnumbers = [3, 1, 4, 1, 5, 9, 2, 6]\nprint("mean:", statistics.mean(numbers))\nprint("sorted:", sorted(numbers))\n',
  javascript:
    'const numbers = [3, 1, 4, 1, 5, 9, 2, 6];\nconsole.log("max:", Math.max(...numbers));\nconsole.log("sorted:", [...numbers].sort((a, b) => a - b));\n',
};
const NAMES: Record<Language, string> = { python: 'Python', javascript: 'JavaScript' };
const isExample = (code: string) => code === SAMPLES.python || code === SAMPLES.javascript;

// Kept while the page is open, so that leaving the editor for a run page or the task tab and
// coming back finds it as it was. `codeLanguage` is the language the code in the editor is
// written in; `setAside` holds code an example replaced, per language, to bring back.
let draft = {
  language: 'python' as Language,
  code: SAMPLES.python,
  codeLanguage: 'python' as Language,
  setAside: {} as Partial<Record<Language, string>>,
  timeoutMs: 10_000,
  memoryMb: 256,
  hosts: '',
};

export function editorView(): { element: HTMLElement; dispose: () => void } {
  const language = el(
    'select',
    { 'aria-label': 'Language', 'data-testid': 'language' },
    el('option', { value: 'python' }, NAMES.python),
    el('option', { value: 'javascript' }, NAMES.javascript),
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
  const notice = el('div', { class: 'notice', role: 'status', 'data-testid': 'language-notice', hidden: true });
  const output = el('pre', { class: 'output', 'data-testid': 'output', 'aria-live': 'polite' });
  const outputNote = el(
    'p',
    { class: 'empty', 'data-testid': 'output-note' },
    'Nothing has run yet: Run ▶ (or Ctrl+Enter) shows the output here.',
  );
  const reason = el('div');
  const timeline = el('ol', { class: 'timeline', 'data-testid': 'timeline' });
  const steps = el('div', { class: 'panel', hidden: true }, el('h2', {}, 'Steps'), timeline);
  const facts = el('p', { class: 'facts-line', hidden: true });

  const save = () => {
    draft = {
      ...draft,
      language: language.value as Language,
      code: code.value,
      timeoutMs: Number(timeout.value),
      memoryMb: Number(memory.value),
      hosts: hosts.value,
    };
  };
  const replaceCode = (text: string) => {
    code.value = text;
    draft.codeLanguage = language.value as Language;
    save();
    showNotice();
  };

  // The editor holds code written for one language while another is chosen: say so, and offer
  // the two ways out. Editing the code makes it the chosen language's and the note goes.
  const showNotice = () => {
    const chosen = draft.language;
    const written = draft.codeLanguage;
    notice.hidden = chosen === written || code.value.trim() === '';
    if (notice.hidden) return;
    const mine = draft.setAside[chosen];
    notice.replaceChildren(
      el('span', {}, `The code above is ${NAMES[written]}, and it will run as ${NAMES[chosen]}.`),
      el(
        'span',
        { class: 'notice-actions' },
        el(
          'button',
          {
            type: 'button',
            'data-testid': 'use-example',
            onclick: () => {
              draft.setAside[written] = code.value;
              delete draft.setAside[chosen];
              replaceCode(mine ?? SAMPLES[chosen]);
            },
          },
          mine === undefined ? `Use the ${NAMES[chosen]} example` : `Bring back your ${NAMES[chosen]} code`,
        ),
        el(
          'button',
          {
            type: 'button',
            'data-testid': 'keep-language',
            onclick: () => {
              language.value = written;
              save();
              showNotice();
            },
          },
          `Back to ${NAMES[written]}`,
        ),
      ),
    );
  };

  language.addEventListener('change', () => {
    save();
    const chosen = draft.language;
    if (isExample(code.value)) {
      // An example nobody touched: the chosen language's own example, or the code of that
      // language an example once replaced.
      const mine = draft.setAside[chosen];
      delete draft.setAside[chosen];
      replaceCode(mine ?? SAMPLES[chosen]);
      return;
    }
    showNotice();
  });
  code.addEventListener('input', () => {
    draft.codeLanguage = language.value as Language;
    save();
    showNotice();
  });
  for (const input of [timeout, memory, hosts]) input.addEventListener('input', save);

  let printed = false;
  const launcher = createRunLauncher({
    label: 'Run ▶',
    testIds: { run: 'run', cancel: 'cancel', problem: 'problem', status: 'run-status' },
    reset() {
      output.replaceChildren();
      timeline.replaceChildren();
      reason.replaceChildren();
      steps.hidden = true;
      facts.hidden = true;
      printed = false;
      outputNote.hidden = false;
      outputNote.textContent = 'No output yet.';
    },
    submit: () => {
      save();
      return umca.submitExecution({
        language: draft.language,
        code: draft.code,
        limits: { timeoutMs: draft.timeoutMs, memoryMb: draft.memoryMb },
        allowedOutboundHosts: draft.hosts
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean),
      });
    },
    onEvent(event: UmcaEvent) {
      timeline.append(timelineEntry(event));
      steps.hidden = false;
      timeline.scrollTop = timeline.scrollHeight;
      if (event.type === 'dev.umca.output.appended.v1') {
        output.append(el('span', { class: event.data.stream }, event.data.text));
        output.scrollTop = output.scrollHeight;
        printed = true;
        outputNote.hidden = true;
      }
      if (event.type === 'dev.umca.code.executed.v1') {
        facts.textContent = `exit code ${event.data.exitCode ?? '–'} · ${formatMs(event.data.durationMs)} · ${event.data.runtime ?? ''}`;
        facts.hidden = false;
      }
      if (event.type === 'dev.umca.run.ended.v1') {
        launcher.status.replaceChildren(statusBadge(event.data.status));
        if (!printed) outputNote.textContent = 'The program printed nothing.';
        if (event.data.reason && event.data.status !== 'ok') {
          reason.replaceChildren(el('div', { class: 'error-box', 'data-testid': 'run-reason' }, event.data.reason));
        }
      }
    },
  });
  const { runButton, cancelButton, problem, status, runLink } = launcher;

  code.addEventListener('keydown', (event) => {
    if (event.key === 'Tab') {
      event.preventDefault();
      code.setRangeText('    ', code.selectionStart, code.selectionEnd, 'end');
      code.dispatchEvent(new Event('input'));
    }
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) runButton.click();
  });
  showNotice();

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
        el('span', { class: 'buttons' }, runButton, cancelButton),
      ),
      problem,
      code,
      notice,
      el('label', { class: 'hosts-label' }, 'Allowed outbound hosts (Spin syntax)', hosts),
    ),
    el('div', { class: 'panel' }, el('h2', {}, 'Output ', status, runLink), reason, outputNote, output, facts),
    steps,
  );
  return { element, dispose: launcher.dispose };
}
