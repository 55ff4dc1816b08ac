/**
 * @module content
 * Content on spans (prompts, completions, code, output), only when the tracing allows it, and cut
 * to a size a tracing backend takes without complaint.
 */
import { INPUT_MIME_TYPE, INPUT_VALUE, OUTPUT_MIME_TYPE, OUTPUT_VALUE } from '@arizeai/openinference-semantic-conventions';
import type { Span } from '@opentelemetry/api';
import type { RunTracing } from './run-tracing.js';

/** The most characters of one content attribute; longer text is cut and says so. */
export const MAX_CONTENT_CHARS = 16_000;

export function clip(text: string): string {
  return text.length > MAX_CONTENT_CHARS
    ? `${text.slice(0, MAX_CONTENT_CHARS)}… [${text.length - MAX_CONTENT_CHARS} more characters]`
    : text;
}

/** Sets `input.value` (and the other content attributes given) when content may be recorded. */
export function recordContent(tracing: RunTracing, span: Span, content: { input?: string; output?: string; json?: boolean }): void {
  if (!tracing.recordContent) return;
  const mime = content.json ? 'application/json' : 'text/plain';
  if (content.input !== undefined) span.setAttributes({ [INPUT_VALUE]: clip(content.input), [INPUT_MIME_TYPE]: mime });
  if (content.output !== undefined) span.setAttributes({ [OUTPUT_VALUE]: clip(content.output), [OUTPUT_MIME_TYPE]: mime });
}
