// The page at /: pick a model, drop an image, see what the model makes of it. Plain JavaScript in
// the browser, on the service's public API only: POST /v2/repository/index (the models),
// GET /v1/model?model= (the card), POST /v1/encode-image?model= (the outputs, as JSON).

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'entropy-sc-token';
let token = sessionStorage.getItem(TOKEN_KEY) ?? '';

/** A call to the API; a 401 shows the token prompt; any error is the service's own message. */
async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) {
    $('token-form').hidden = false;
    $('token').focus();
    throw new Error(token ? 'the service refused this token: enter the right one' : 'this service needs a token');
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).error ?? message;
    } catch {
      // not a JSON error body: the status line says it
    }
    throw new Error(message);
  }
  return response;
}

function status(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

async function loadModels() {
  const index = await (
    await api('/v2/repository/index', {
      method: 'POST',
      body: '{"ready": true}',
      headers: { 'content-type': 'application/json' },
    })
  ).json();
  const select = $('model');
  select.replaceChildren(...index.map((m) => new Option(`${m.name} (version ${m.version})`, m.name)));
  select.disabled = index.length < 2;
  await showCard();
}

async function showCard() {
  const card = await (await api(`/v1/model?model=${encodeURIComponent($('model').value)}`)).json();
  const pre = card.preprocessing ?? {};
  const whitening = typeof pre.whitening === 'object' ? pre.whitening.method : (pre.whitening ?? 'none');
  const facts = [
    ['name', card.name],
    [
      'model',
      `${card.family}${card.rank ? ` (rank ${card.rank})` : ''}, ${card.amortized ? 'amortized' : 'per-sample'} posterior`,
    ],
    ['window', pre.patch ? `${pre.patch}×${pre.patch} (D=${card.d})` : `D=${card.d}`],
    ['input', card.image ? `uint8 images (image model, windows at stride ${card.image.stride})` : 'rows (patch model)'],
    ['latents', `H=${card.h}`],
    ['noise σ²', Number(card.sigma2).toPrecision(3)],
    ['whitening', whitening],
    ['trained on', `${pre.source ?? '?'}${card.n ? `, ${card.n} windows` : ''}`],
  ];
  const list = document.createElement('dl');
  for (const [term, value] of facts)
    list.append(
      Object.assign(document.createElement('dt'), { textContent: term }),
      Object.assign(document.createElement('dd'), { textContent: value }),
    );
  $('card').replaceChildren(list);
}

async function encode(file) {
  $('pictures').hidden = true;
  $('summary').textContent = '';
  const type = file.type === 'image/jpeg' || /\.jpe?g$/i.test(file.name) ? 'image/jpeg' : 'image/png';
  status(`encoding ${file.name} …`);
  const started = performance.now();
  const url = `/v1/encode-image?model=${encodeURIComponent($('model').value)}&outputs=variance,elbo,reconstruction,whitened`;
  const out = await (
    await api(url, { method: 'POST', body: file, headers: { 'content-type': type, accept: 'application/json' } })
  ).json();
  const ms = performance.now() - started;
  const whitened = out.whitened;
  const [height, width] = [whitened.length, whitened[0].length];
  const [rows, cols] = [out.elbo.length, out.elbo[0].length];
  // One symmetric gray scale for both images: ±3 RMS of the whitened image (heavy tails would wash the maximum out).
  const flat = whitened.flat();
  const scale = 3 * Math.sqrt(flat.reduce((s, v) => s + v * v, 0) / flat.length) || 1;
  drawGray($('whitened'), whitened, scale);
  drawGray($('reconstruction'), out.reconstruction, scale);
  const elbo = out.elbo;
  const uncertainty = out.variance.map((row) => row.map((v) => v.reduce((a, b) => a + b, 0) / v.length));
  const e = drawHeat($('elbo'), elbo);
  const u = drawHeat($('uncertainty'), uncertainty);
  $('elbo-range').textContent = `${e.min.toFixed(1)} to ${e.max.toFixed(1)} nats, mean ${e.mean.toFixed(2)}`;
  $('uncertainty-range').textContent =
    `${u.min.toPrecision(3)} to ${u.max.toPrecision(3)}, mean ${u.mean.toPrecision(3)}`;
  $('pictures').hidden = false;
  $('pictures').dataset.elboMean = String(e.mean);
  $('pictures').dataset.windows = String(rows * cols);
  $('pictures').dataset.model = $('model').value;
  $('summary').textContent =
    `${file.name}: ${width}×${height} pixels, ${rows}×${cols} = ${rows * cols} windows, encoded in ${ms.toFixed(0)} ms`;
  status('');
}

function drawGray(canvas, image, scale) {
  const [height, width] = [image.length, image[0].length];
  const pixels = new ImageData(width, height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const g = Math.round(127.5 * (1 + Math.max(-1, Math.min(1, image[y][x] / scale))));
      pixels.data.set([g, g, g, 255], 4 * (y * width + x));
    }
  paint(canvas, pixels);
}

/** A perceptually ordered dark-blue → teal → yellow ramp (viridis' end points and middle), as `encode` draws it. */
const RAMP = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Colours span the 2nd to 98th percentile (a few extreme windows would flatten the rest); the numbers are the full range. */
function drawHeat(canvas, grid) {
  const [rows, cols] = [grid.length, grid[0].length];
  const values = grid.flat();
  const sorted = [...values].sort((a, b) => a - b);
  const lo = sorted[Math.floor(0.02 * (sorted.length - 1))];
  const hi = sorted[Math.ceil(0.98 * (sorted.length - 1))];
  const pixels = new ImageData(cols, rows);
  for (let i = 0; i < values.length; i++) {
    const t = hi > lo ? Math.max(0, Math.min(1, (values[i] - lo) / (hi - lo))) : 0.5;
    const s = t * (RAMP.length - 1);
    const k = Math.min(RAMP.length - 2, Math.floor(s));
    const f = s - k;
    pixels.data.set([...RAMP[k].map((a, c) => Math.round(a + f * (RAMP[k + 1][c] - a))), 255], 4 * i);
  }
  paint(canvas, pixels);
  return { min: sorted[0], max: sorted[sorted.length - 1], mean: values.reduce((a, b) => a + b, 0) / values.length };
}

function paint(canvas, pixels) {
  canvas.width = pixels.width;
  canvas.height = pixels.height;
  canvas.getContext('2d').putImageData(pixels, 0, 0);
}

function run(task) {
  task().catch((error) => status(error.message, true));
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token-form').hidden = true;
  status('');
  run(loadModels);
});
$('model').addEventListener('change', () => run(showCard));
$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  // Cleared, so that picking the same file again (after choosing another model) encodes it again.
  $('file').value = '';
  if (file) run(() => encode(file));
});
const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer.files[0];
  if (file) run(() => encode(file));
});
run(loadModels);
