/**
 * What onnxruntime offers on this machine (`entropy-sc doctor`): every execution provider it knows,
 * bundled or not, and whether a session really opens on it (a one-node model is tried on each).
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { nativeReason } from './providers.ts';

export interface ProviderStatus {
  name: string;
  bundled: boolean;
  loadable: boolean;
  reason?: string;
}

export async function onnxruntimeReport(): Promise<{ version: string; providers: ProviderStatus[] }> {
  const tensor = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } };
  const model = onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'probe',
      node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
      input: [{ name: 'x', type: tensor }],
      output: [{ name: 'y', type: tensor }],
    },
  }).finish();
  const providers: ProviderStatus[] = [];
  for (const { name, bundled } of ort.listSupportedBackends()) {
    try {
      const session = await ort.InferenceSession.create(model, { executionProviders: [name] });
      await session.release();
      providers.push({ name, bundled, loadable: true });
    } catch (error) {
      providers.push({ name, bundled, loadable: false, reason: nativeReason(error) });
    }
  }
  return { version: ort.env.versions.node ?? ort.env.versions.common ?? 'unknown', providers };
}
