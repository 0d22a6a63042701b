/** The pretrained encoder shipped in models/ (see models/README.md): the default of every `--model`. */
import { fileURLToPath } from 'node:url';

export const defaultModelPath: string = fileURLToPath(new URL('../models/default.onnx', import.meta.url));
