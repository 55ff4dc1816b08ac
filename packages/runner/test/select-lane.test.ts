/**
 * The policy router's lane decision: WebAssembly unless the request or the code needs the
 * container lane and the caller may use it; why, in words, either way.
 */
import { describe, expect, it } from 'vitest';
import { type ContainerAvailability, containerNeed, selectLane } from '../src/route/select-lane.js';

const HERE: ContainerAvailability = { available: true };
const OFF: ContainerAvailability = { available: false, why: 'it is off' };
const python = (code: string, extra: object = {}) => ({ language: 'python' as const, code, ...extra });

describe('containerNeed', () => {
  it('leaves the standard library and the scientific stack to WebAssembly', () => {
    expect(containerNeed(python('import os, sys, json, subprocess_free\nimport pandas'))).toMatchObject({ by: 'imports' });
    for (const code of ['import os, sys, json, asyncio, sqlite3, urllib.request', 'import numpy, pandas, sklearn', 'print(1)']) {
      expect(containerNeed(python(code)), code).toBeUndefined();
    }
  });

  it('finds what only the container lane has', () => {
    expect(containerNeed(python('import torch'))).toEqual({ by: 'imports', reason: 'the code imports torch, which no WASM runtime has' });
    expect(containerNeed(python('import subprocess\nsubprocess.run(["ls"])'))).toMatchObject({
      by: 'code',
      reason: expect.stringMatching(/starts processes/),
    });
    expect(containerNeed(python('import os\nos.system("pip install rich")'))).toMatchObject({ by: 'code' });
    expect(containerNeed({ language: 'javascript', code: 'import { execSync } from "node:child_process"' })).toMatchObject({ by: 'code' });
    expect(containerNeed({ language: 'javascript', code: 'console.log(1)' })).toBeUndefined();
  });

  it('leaves a program that calls upstream tools (umca_tools) in WebAssembly, where the module is', () => {
    expect(containerNeed(python('from umca_tools import ragflow\nimport umca_tools'))).toBeUndefined();
  });

  it('takes a module among the input files for the program’s own', () => {
    expect(containerNeed(python('import helpers', { files: [{ path: 'helpers.py', content: 'x = 1' }] }))).toBeUndefined();
  });
});

describe('selectLane', () => {
  it('follows a request for the container lane only when the server has it and the caller may use it', () => {
    expect(selectLane(python('print(1)', { lane: 'container' }), undefined, HERE)).toMatchObject({ lane: 'container', by: 'request' });
    expect(selectLane(python('print(1)', { lane: 'container' }), ['wasm'], HERE)).toEqual({
      refused: 'lane "container" is not allowed for this caller; its role may use the wasm lane only',
    });
    expect(selectLane(python('print(1)', { lane: 'container' }), undefined, OFF)).toEqual({
      refused: 'lane "container" is not available on this server: it is off',
    });
  });

  it('keeps code that needs the container in WebAssembly when it may not go there, saying why', () => {
    expect(selectLane(python('import torch'), undefined, HERE)).toMatchObject({ lane: 'container', by: 'imports' });
    expect(selectLane(python('import torch'), ['wasm'], HERE)).toEqual({
      lane: 'wasm',
      note: 'the code imports torch, which no WASM runtime has; this caller may not use the container lane',
    });
    expect(selectLane(python('import torch'), undefined, OFF)).toMatchObject({
      lane: 'wasm',
      note: expect.stringMatching(/not available here \(it is off\)/),
    });
    expect(selectLane(python('import torch', { lane: 'wasm' }), undefined, HERE)).toEqual({ lane: 'wasm' });
  });
});
