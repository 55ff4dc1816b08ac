/**
 * @module sign-in-view
 * What the page shows a visitor a server will not answer without a token: a button that signs
 * in at the server's identity provider, or, for a server that trusts only UMCA's own tokens, a
 * field to paste one. A sign-in that did not finish says why.
 */
import { el } from '../dom.js';
import type { Session } from '../session.js';

export function signInView(session: Extract<Session, { state: 'signed-out' }>): HTMLElement {
  const problem = session.problem ? el('p', { class: 'error', 'data-testid': 'sign-in-problem' }, session.problem) : null;
  if (session.issuer) {
    const button = el(
      'button',
      {
        type: 'button',
        'data-testid': 'sign-in',
        onclick: () => {
          button.disabled = true;
          session.signIn().catch((error: Error) => {
            button.disabled = false;
            button.after(el('p', { class: 'error' }, `cannot reach the identity provider: ${error.message}`));
          });
        },
      },
      'Sign in',
    );
    return el(
      'section',
      { class: 'panel sign-in', 'data-testid': 'sign-in-panel' },
      el('h2', {}, 'Sign in to use this UMCA'),
      el('p', {}, 'This server runs code only for people it knows. Sign in at ', el('code', {}, session.issuer), '.'),
      button,
      problem,
    );
  }
  const field = el('textarea', { rows: 3, placeholder: 'eyJ…', 'aria-label': 'token', 'data-testid': 'token-field' });
  return el(
    'section',
    { class: 'panel sign-in', 'data-testid': 'sign-in-panel' },
    el('h2', {}, 'A token is needed'),
    el(
      'p',
      {},
      'This server runs code only for callers with a bearer token. Paste one here (its operator makes them with ',
      el('code', {}, 'umca token create --role developer'),
      '); it stays in this tab.',
    ),
    field,
    el(
      'button',
      { type: 'button', 'data-testid': 'use-token', onclick: () => field.value.trim() && session.useToken(field.value) },
      'Use this token',
    ),
    problem,
  );
}
