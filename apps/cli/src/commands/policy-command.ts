/**
 * @module policy-command
 * `umca policy check FILE`: validates an access policy (umca.policy.v1) and says, role by role,
 * what it allows, so an operator reads the policy's effect before a server enforces it.
 */
import { readFileSync } from 'node:fs';
import { type AccessPolicy, MAX_LIMITS, TOOLS } from '@umca/contracts';
import { PolicyError, readAccessPolicy } from '@umca/policy';
import type { Command } from 'commander';
import { describeFileError } from '../describe-file-error.js';

function explainRole(name: string, role: AccessPolicy['roles'][string]): string[] {
  const tools = role.tools.includes('*') ? [...TOOLS] : role.tools;
  const lines = [`${name}${role.description ? `: ${role.description}` : ''}`];
  lines.push(`  may use: ${tools.length ? tools.join(', ') : 'nothing'}`);
  lines.push(`  sees: ${role.allRuns ? "everyone's runs" : 'its own runs only'}`);
  if (tools.includes('run_code') || tools.includes('run_task')) {
    lines.push(`  languages: ${role.languages.includes('*') ? 'any' : role.languages.join(', ')}; lanes: ${role.lanes.join(', ')}`);
    lines.push(`  network: ${role.allowedOutboundHosts.length ? `at most ${role.allowedOutboundHosts.join(', ')}` : 'none'}`);
    const limit = (key: keyof typeof MAX_LIMITS) => role.limits[key] ?? `${MAX_LIMITS[key]} (the server's)`;
    lines.push(`  limits at most: timeoutMs ${limit('timeoutMs')}, memoryMb ${limit('memoryMb')}, outputBytes ${limit('outputBytes')}`);
    lines.push(`  runs: ${role.concurrentRuns ?? 'any number'} at once, ${role.runsPerMinute ?? 'any number'} a minute (per principal)`);
  }
  if (tools.includes('run_task')) lines.push(`  models: ${role.models.length ? role.models.join(', ') : 'none'}`);
  lines.push(`  upstream MCP tools: ${role.upstreamTools.length ? role.upstreamTools.join(', ') : 'none'}`);
  return lines;
}

export function registerPolicyCommand(program: Command): void {
  program
    .command('policy')
    .description('Access policies (umca.policy.v1): roles to allow-lists')
    .command('check')
    .description('Validate a policy file and explain what each role may do; exits 0 when valid, 2 when not')
    .argument('<file>', 'the policy, YAML or JSON')
    .action((file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        process.stderr.write(`umca: cannot read the policy ${file}: ${describeFileError(error, file)}\n`);
        process.exitCode = 2;
        return;
      }
      try {
        const policy = readAccessPolicy(text, file);
        const lines = Object.entries(policy.roles).flatMap(([name, role]) => explainRole(name, role));
        process.stdout.write(
          `${file}: a valid umca.policy.v1 with ${Object.keys(policy.roles).length} role(s); anything not listed is refused.\n${lines.join('\n')}\n`,
        );
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        process.stderr.write(`umca: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
