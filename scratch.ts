import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { composeImageModel } from './graph/image-model-graph.ts';
import { whitenImage } from './src/data/whiten.ts';
import { readImageFile } from './src/data/image-file.ts';
import pngjs from 'pngjs';
const { onnx } = onnxProto;
const model = onnx.ModelProto.decode(readFileSync('models/default.onnx'));
const t0 = performance.now();
const composed = composeImageModel(model, { patch: 16, stride: 8, name: 'img', docString: '', metadataProps: [] });
const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(composed as any)).finish();
const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: (process.env.OPT as any) ?? 'all', intraOpNumThreads: 2 });
console.log('session', performance.now() - t0);
for (const file of ['coffee.png', 'camera.png']) {
  const png = pngjs.PNG.sync.read(readFileSync('data/natural-images/' + file));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = png.data[4 * p + c]!;
  const t1 = performance.now();
  const out = await session.run({ image: new ort.Tensor('uint8', rgb, [1, png.height, png.width, 3]) });
  console.log(file, 'run', performance.now() - t1, Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.dims])));
  const t2 = performance.now();
  const ts = whitenImage(readImageFile('data/natural-images/' + file));
  console.log('ts whiten', performance.now() - t2);
  const w = out.whitened!.data as Float32Array;
  let maxd = 0; for (let i = 0; i < w.length; i++) maxd = Math.max(maxd, Math.abs(w[i]! - ts.pixels[i]!));
  console.log('max diff', maxd, w.length, ts.pixels.length);
}
