/**
 * A patch model with the card of a model that learned from whitened photographs: the service
 * fixture (a tiny low-rank bars model, D = 16, so P = 4) with its card's data and preprocessing
 * replaced, so that image models can be built from it without training one.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { whiteningDescription } from '../../src/data/whiten.ts';
import { MODEL_CARD_KEY } from '../../src/schema/onnx-contract.ts';

const FIXTURE = new URL('../service/fixtures/tiny-lowrank.onnx', import.meta.url).pathname;

/** The fixture's window side. */
export const FIXTURE_PATCH = 4;

export function imageCardPatchModel(): Uint8Array {
  const proto = onnxProto.onnx.ModelProto.decode(readFileSync(FIXTURE));
  const entry = proto.metadataProps.find((p) => p.key === MODEL_CARD_KEY)!;
  const card = JSON.parse(entry.value!) as Record<string, unknown>;
  entry.value = JSON.stringify({
    ...card,
    data: { kind: 'images', source: '', patch: FIXTURE_PATCH, samples: 1000, whiten: true },
    preprocessing: { patch: FIXTURE_PATCH, whitening: whiteningDescription },
  });
  return onnxProto.onnx.ModelProto.encode(proto).finish();
}
