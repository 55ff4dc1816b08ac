/**
 * The Containerfile copies each workspace's package.json before `npm ci`, one line per workspace,
 * so that the dependency layer stays cached while only sources change. A workspace added to
 * package.json and not to the Containerfile would make `npm ci` fail inside the build, minutes in;
 * this says so at once, with the line to add.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const containerfile = readFileSync(`${ROOT}Containerfile`, 'utf8');
const workspaces: string[] = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).workspaces;

describe('the Containerfile', () => {
  it('copies the manifest of every workspace before npm ci', () => {
    const copied = [...containerfile.matchAll(/^COPY (\S+)\/package\.json \1\/$/gm)].map((match) => match[1]);
    const missing = workspaces
      .filter((workspace) => !copied.includes(workspace))
      .map((workspace) => `COPY ${workspace}/package.json ${workspace}/`);
    expect(missing, 'add these lines to the Containerfile, before `npm ci`').toEqual([]);
    expect(
      copied.filter((path) => !workspaces.includes(path ?? '')),
      'these are no longer workspaces',
    ).toEqual([]);
  });

  it('names its base image in one ARG, which the setup script reads', () => {
    expect(containerfile).toMatch(/^ARG NODE_IMAGE=docker\.io\/library\/node:\d+\.\d+-bookworm-slim$/m);
    expect(containerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(containerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
  });
});
