// Peer for issue 15 item 2: file -> L2-normalised vector with onnxruntime-node + sharp, in N worker threads, the
// same preprocessing as the platform's ImageNet models (shorter side to 256 bilinear, centre crop 224, mean/std,
// NCHW) and the same int8 MobileNetV2 embedding graph. Vectors are written to one .f32 file (the "store").
// Usage: node embed.mjs <caltech-root> [--per-class 20] [--workers 2] [--batch 8] [--out vectors.f32]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const MODEL = '/work/shared/models/mobilenetv2/mobilenetv2-12-int8-embedding.onnx';
const SIZE = 224, SHORTER = 256, DIM = 1280;
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];

if (isMainThread) {
  const started = performance.now();
  const args = process.argv.slice(2);
  const opt = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
  const root = args[0];
  const perClass = Number(opt('--per-class', 20)), workers = Number(opt('--workers', 2)), batch = Number(opt('--batch', 8));
  const out = opt('--out', '/tmp/node-embed-vectors.f32');
  // The first perClass files (by name) of every class.
  const files = readdirSync(root).sort().flatMap(c => readdirSync(join(root, c)).sort().slice(0, perClass).map(f => join(root, c, f)));
  const next = new Int32Array(new SharedArrayBuffer(4));
  const vectors = new Float32Array(new SharedArrayBuffer(files.length * DIM * 4));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { files, next, vectors, batch } });
    w.on('message', resolve); w.on('error', reject);
  })));
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(out, Buffer.from(vectors.buffer));
  const total = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ images: files.length, workers, batch, embed_seconds: +seconds.toFixed(2), per_s: +(files.length / seconds).toFixed(1),
    whole_process_seconds_after_node_start: +total.toFixed(2), vectors: out }));
} else {
  const ort = (await import('onnxruntime-node')).default;
  const sharp = (await import('sharp')).default;
  sharp.concurrency(1);
  const { files, next, vectors, batch } = workerData;
  const session = await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const plane = SIZE * SIZE;
  const input = new Float32Array(batch * 3 * plane);
  for (;;) {
    const start = Atomics.add(next, 0, batch);
    if (start >= files.length) break;
    const n = Math.min(batch, files.length - start);
    for (let b = 0; b < n; b++) {
      const image = sharp(readFileSync(files[start + b])).removeAlpha().toColourspace('srgb');
      const { width, height } = await image.metadata();
      const scale = SHORTER / Math.min(width, height);
      const rw = Math.max(SIZE, Math.round(width * scale)), rh = Math.max(SIZE, Math.round(height * scale));
      const rgb = await image.resize(rw, rh, { fit: 'fill', kernel: 'linear' })
        .extract({ left: (rw - SIZE) >> 1, top: (rh - SIZE) >> 1, width: SIZE, height: SIZE }).raw().toBuffer();
      const channels = rgb.length / plane;
      const base = b * 3 * plane;
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) {
          input[base + c * plane + i] = (rgb[i * channels + (channels === 1 ? 0 : c)] / 255 - MEAN[c]) / STD[c];
        }
      }
    }
    const tensor = new ort.Tensor('float32', input.subarray(0, n * 3 * plane), [n, 3, SIZE, SIZE]);
    const result = await session.run({ input: tensor }, ['embedding']);
    const data = result.embedding.data;
    for (let b = 0; b < n; b++) {
      let norm = 0;
      for (let d = 0; d < DIM; d++) norm += data[b * DIM + d] ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let d = 0; d < DIM; d++) vectors[(start + b) * DIM + d] = data[b * DIM + d] / norm;
    }
  }
  parentPort.postMessage('done');
}
