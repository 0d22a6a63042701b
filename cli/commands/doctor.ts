/**
 * `entropy-sc doctor [--json]` (cli.md): what this machine offers: TensorFlow.js backends (for webgpu
 * the adapters, hardware or software, with names and limits), onnxruntime's execution providers
 * (bundled in the package, and loadable: a session really opens on them), cores, versions.
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import { Command } from 'commander';
import { VERSION } from '@entropy-sc/core/version';
import type { TfjsReport } from '@entropy-sc/training/gpu/backend-report';

interface ProviderStatus {
  name: string;
  bundled: boolean;
  loadable: boolean;
  reason?: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('list what this machine offers: TensorFlow.js backends and WebGPU adapters, onnxruntime providers, cores, versions')
    .option('--json', 'print one JSON object instead of text', false)
    .action(async (flags: { json: boolean }) => {
      const { tfjsReport } = await import('@entropy-sc/training/gpu/backend-report');
      const tfjs = await tfjsReport();
      const onnxruntime = await onnxruntimeReport();
      const machine = { platform: process.platform, arch: process.arch, cores: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? 'unknown', memory_bytes: totalmem() };
      const report: Report = {
        versions: { 'entropy-sc': VERSION, node: process.version, 'tfjs-core': tfjs.version, 'onnxruntime-node': onnxruntime.version },
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
  tfjs: { backends: TfjsReport['backends']; adapters: TfjsReport['adapters']; adapter_setting: TfjsReport['adapterSetting'] };
  onnxruntime: { providers: ProviderStatus[] };
}

function text(r: Report): string {
  const gib = (bytes: number) => (bytes < 2 ** 30 ? `${Math.round(bytes / 2 ** 20)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`);
  const lines = [
    `entropy-sc ${r.versions['entropy-sc']}, node ${r.versions['node']}, ${r.machine.platform} ${r.machine.arch}, ${r.machine.cores} cores (${r.machine.cpu}), ${gib(r.machine.memory_bytes)} memory`,
    '',
    `TensorFlow.js ${r.versions['tfjs-core']} backends (--backend):`,
    ...r.tfjs.backends.map((b) => `  ${b.name.padEnd(11)}${b.available ? 'available' : `not available: ${b.reason}`}${b.adapter ? ` on the ${b.adapter.kind} adapter ${b.adapter.name}` : ''}`),
    `WebGPU adapters (${r.tfjs.adapter_setting.env}=${r.tfjs.adapter_setting.value}; auto prefers hardware):`,
    ...(r.tfjs.adapters.length === 0 ? ['  none'] : []),
    ...r.tfjs.adapters.map(
      (a) =>
        `  ${a.kind.padEnd(9)}${a.name} (${a.backend}, ${a.driver}); max buffer ${gib(a.limits.maxBufferSize)}, max storage binding ${gib(a.limits.maxStorageBufferBindingSize)}, workgroup storage ${a.limits.maxComputeWorkgroupStorageSize} B, ${a.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
    ),
    '',
    `onnxruntime ${r.versions['onnxruntime-node']} execution providers (--provider):`,
    ...r.onnxruntime.providers.map(
      (p) => `  ${p.name.padEnd(9)}${p.bundled ? 'bundled' : 'not bundled'}, ${p.loadable ? 'loadable' : `not loadable: ${p.reason}`}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** Every provider onnxruntime-node knows, with a one-node model opened on each to see whether it loads. */
async function onnxruntimeReport(): Promise<{ version: string; providers: ProviderStatus[] }> {
  const ort = await import('onnxruntime-node');
  const { default: onnxProto } = await import('onnx-proto');
  const tensor = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } };
  const model = onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'probe', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: tensor }], output: [{ name: 'y', type: tensor }] },
  }).finish();
  const providers: ProviderStatus[] = [];
  for (const { name, bundled } of ort.listSupportedBackends()) {
    try {
      const session = await ort.InferenceSession.create(model, { executionProviders: [name] });
      await session.release();
      providers.push({ name, bundled, loadable: true });
    } catch (error) {
      providers.push({ name, bundled, loadable: false, reason: firstLine((error as Error).message) });
    }
  }
  return { version: ort.env.versions.node ?? ort.env.versions.common ?? 'unknown', providers };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0]!.trim();
  // onnxruntime prefixes its failed check with the source location: keep what it says.
  return line.replace(/^.* was false\. /, '');
}
