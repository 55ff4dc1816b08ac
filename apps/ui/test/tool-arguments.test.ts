/**
 * The arguments the MCP servers panel shows for an upstream tool, read from a JSON Schema another
 * server sent (no DOM): the properties in their order with the required ones marked, and nothing
 * but fewer arguments from a schema that is not shaped as one.
 */
import { describe, expect, it } from 'vitest';
import { toolArguments } from '../src/views/tool-arguments.js';

describe('toolArguments', () => {
  it('lists the properties in the schema’s order, marking those `required` names', () => {
    const schema = {
      type: 'object',
      properties: { question: { type: 'string' }, top_k: { type: 'integer', default: 2 } },
      required: ['question'],
    };
    expect(toolArguments(schema)).toEqual([
      { name: 'question', required: true },
      { name: 'top_k', required: false },
    ]);
  });

  it('has none for a tool without properties', () => {
    expect(toolArguments({ type: 'object' })).toEqual([]);
    expect(toolArguments({ type: 'object', properties: {} })).toEqual([]);
  });

  it('reads an odd schema as fewer arguments rather than failing', () => {
    expect(toolArguments({ properties: ['question'] })).toEqual([]);
    expect(toolArguments({ properties: null, required: ['question'] })).toEqual([]);
    expect(toolArguments({ properties: { question: {} }, required: 'question' })).toEqual([{ name: 'question', required: false }]);
    expect(toolArguments({ properties: { question: {}, 7: {} }, required: [7, { name: 'question' }] })).toEqual([
      { name: '7', required: false },
      { name: 'question', required: false },
    ]);
  });
});
