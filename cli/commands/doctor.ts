/**
 * `entropy-sc doctor [--json]` (cli.md): what this machine offers: TensorFlow.js backends (for webgpu
 * the adapters, hardware or software, with names and limits), onnxruntime's execution providers
 * (bundled in the package, and loadable: a session really opens on them), cores, versions.
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import { Command } from 'commander';
import { bytesText } from '@entropy-sc/core/resources/memory-estimate';
import { VERSION } from '@entropy-sc/core/version';
import type { ProviderStatus } from '@entropy-sc/inference/provider-report';
import type { TfjsReport } from '@entropy-sc/training/backend/backend-report';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'list what this machine offers: TensorFlow.js backends and WebGPU adapters, onnxruntime providers, cores, versions',
    )
    .option('--json', 'print one JSON object instead of text', false)
    .action(async (flags: { json: boolean }) => {
      const { tfjsReport } = await import('@entropy-sc/training/backend/backend-report');
      const tfjs = await tfjsReport();
      const { onnxruntimeReport } = await import('@entropy-sc/inference/provider-report');
      const onnxruntime = await onnxruntimeReport();
      const machine = {
        platform: process.platform,
        arch: process.arch,
        cores: availableParallelism(),
        cpu: cpus()[0]?.model.trim() ?? 'unknown',
        memory_bytes: totalmem(),
      };
      const report: Report = {
        versions: {
          'entropy-sc': VERSION,
          node: process.version,
          'tfjs-core': tfjs.version,
          'onnxruntime-node': onnxruntime.version,
        },
        machine,
        tfjs: { backends: tfjs.backends, adapters: tfjs.adapters, adapter_setting: tfjs.adapterSetting },
        onnxruntime: { providers: onnxruntime.providers },
      };
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : text(report));
    });
}

interface Report {
  versions: Record<string, string>;
  machine: { platform: string; arch: string; cores: number; cpu: string; memory_bytes: number };
  tfjs: {
    backends: TfjsReport['backends'];
    adapters: TfjsReport['adapters'];
    adapter_setting: TfjsReport['adapterSetting'];
  };
  onnxruntime: { providers: ProviderStatus[] };
}

function text(r: Report): string {
  const lines = [
    `entropy-sc ${r.versions['entropy-sc']}, node ${r.versions['node']}, ${r.machine.platform} ${r.machine.arch}, ${r.machine.cores} cores (${r.machine.cpu}), ${bytesText(r.machine.memory_bytes)} memory`,
    '',
    `TensorFlow.js ${r.versions['tfjs-core']} backends (--backend):`,
    ...r.tfjs.backends.map(
      (b) =>
        `  ${b.name.padEnd(11)}${b.available ? 'available' : `not available: ${b.reason}`}${b.adapter ? ` on the ${b.adapter.kind} adapter ${b.adapter.name}` : ''}`,
    ),
    `WebGPU adapters (${r.tfjs.adapter_setting.env}=${r.tfjs.adapter_setting.value}; auto prefers hardware):`,
    ...(r.tfjs.adapters.length === 0 ? ['  none'] : []),
    ...r.tfjs.adapters.map(
      (a) =>
        `  ${a.kind.padEnd(9)}${a.name} (${a.backend}, ${a.driver}); max buffer ${bytesText(a.limits.maxBufferSize)}, max storage binding ${bytesText(a.limits.maxStorageBufferBindingSize)}, workgroup storage ${a.limits.maxComputeWorkgroupStorageSize} B, ${a.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
    ),
    '',
    `onnxruntime ${r.versions['onnxruntime-node']} execution providers (--provider):`,
    ...r.onnxruntime.providers.map(
      (p) =>
        `  ${p.name.padEnd(9)}${p.bundled ? 'bundled' : 'not bundled'}, ${p.loadable ? 'loadable' : `not loadable: ${p.reason}`}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
