/** Tests run TensorFlow.js on the default wasm backend, as users do. */
import { useBackend } from '../../training/backend/backend.ts';

await useBackend('wasm');
