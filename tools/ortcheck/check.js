// check.js runs an ONNX model in ONNX Runtime (onnxruntime-node) on inputs
// read from .npy files and compares its outputs with expected .npy files.
//
//   node check.js MODEL.onnx FIXTURE_PREFIX [RTOL ATOL]
//
// FIXTURE_PREFIX.in.<input>.npy hold the inputs and
// FIXTURE_PREFIX.out.<output>.npy the expected outputs. The exit status is
// 0 when every output is within |got - want| <= atol + rtol*|want|.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const dtypes = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
  '|b1': ['bool', Uint8Array], '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const shape = shapeText.split(',').map(s => s.trim()).filter(s => s).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const dt = dtypes[descr];
  if (!dt) throw new Error(`${file}: unsupported dtype ${descr}`);
  const data = buf.subarray(hstart + hlen);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  let arr = new dt[1](copy.buffer, 0, copy.length / dt[1].BYTES_PER_ELEMENT);
  if (dt[0] === 'bool') arr = Uint8Array.from(arr);
  return new ort.Tensor(dt[0], arr, shape);
}

(async () => {
  const [model, prefix, rtolArg, atolArg] = process.argv.slice(2);
  const rtol = Number(rtolArg || 1e-3), atol = Number(atolArg || 1e-4);
  const dir = path.dirname(prefix), base = path.basename(prefix);
  const session = await ort.InferenceSession.create(model);
  const feeds = {};
  for (const name of session.inputNames) {
    feeds[name] = readNpy(path.join(dir, `${base}.in.${name}.npy`));
  }
  const results = await session.run(feeds);
  let bad = 0;
  for (const name of session.outputNames) {
    const file = path.join(dir, `${base}.out.${name}.npy`);
    if (!fs.existsSync(file)) continue;
    const want = readNpy(file), got = results[name];
    if (want.dims.join(',') !== got.dims.join(',')) {
      console.log(`${base}: output ${name}: shape ${got.dims} want ${want.dims}`);
      bad++;
      continue;
    }
    let worst = 0, at = -1;
    for (let i = 0; i < want.data.length; i++) {
      const w = Number(want.data[i]), g = Number(got.data[i]);
      const err = Math.abs(g - w) - (atol + rtol * Math.abs(w));
      if (err > worst || Number.isNaN(g) !== Number.isNaN(w)) { worst = err; at = i; }
    }
    if (at >= 0) {
      console.log(`${base}: output ${name}[${at}]: got ${got.data[at]} want ${want.data[at]}`);
      bad++;
    } else {
      console.log(`${base}: output ${name} matches (${want.data.length} values)`);
    }
  }
  process.exit(bad ? 1 : 0);
})().catch(e => { console.error(`${process.argv[2]}: ${e.message || e}`); process.exit(1); });
