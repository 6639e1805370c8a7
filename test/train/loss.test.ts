import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { InfoNceLoss, infoNceLoss } from "../../src/train/loss.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

/*
 * The hand-worked batch (scale 2), lengths deliberately not 1 so normalisation is exercised:
 *   q1 = (1, 0)  → (1, 0)         p1 = (3, 4) → (0.6, 0.8)
 *   q2 = (0, 2)  → (0, 1)         p2 = (0, 5) → (0, 1)
 *   hard negative n1 = (−1, 0)   (shared by both queries)
 * Cosines: q1·p1 = 0.6, q1·p2 = 0, q1·n1 = −1;  q2·p1 = 0.8, q2·p2 = 1, q2·n1 = 0.
 *
 * In-batch only, logits = 2·cos:  row 1 [1.2, 0] target 0,  row 2 [1.6, 2] target 1.
 *   ℓ1 = log(e^1.2 + e^0) − 1.2 = log(1 + e^−1.2) = log(1.3011942119) = 0.2632824673
 *   ℓ2 = log(e^1.6 + e^2) − 2   = log(1 + e^−0.4) = log(1.6703200460) = 0.5130152524
 *   loss = (ℓ1 + ℓ2) / 2 = 0.3881488599
 * With n1, each row gains a column: row 1 [1.2, 0, −2], row 2 [1.6, 2, 0].
 *   ℓ1 = log(1 + e^−1.2 + e^−3.2) = 0.2941285610
 *   ℓ2 = log(1 + e^−0.4 + e^−2)   = 0.5909235892
 *   loss = 0.4425260751
 * Passage→query (symmetric): the transposed 2×2 block, row p1 [1.2, 1.6] target 0, row p2 [0, 2] target 1.
 *   ℓ1 = log(1 + e^0.4) = 0.9130152524,  ℓ2 = log(1 + e^−2) = 0.1269280110,  mean 0.5199716317
 *   symmetric = (0.3881488599 + 0.5199716317) / 2 = 0.4540602458
 *   symmetric with n1 = (0.4425260751 + 0.5199716317) / 2 = 0.4812488534 (n1 has no query: no row of its own)
 */
const Q = [[1, 0], [0, 2]];
const P = [[3, 4], [0, 5]];
const N = [[-1, 0]];
const FORWARD = (Math.log(1 + Math.exp(-1.2)) + Math.log(1 + Math.exp(-0.4))) / 2;
const FORWARD_NEG = (Math.log(1 + Math.exp(-1.2) + Math.exp(-3.2)) + Math.log(1 + Math.exp(-0.4) + Math.exp(-2))) / 2;
const BACKWARD = (Math.log(1 + Math.exp(0.4)) + Math.log(1 + Math.exp(-2))) / 2;

function value(make: () => tf.Scalar): number {
  const loss = make();
  try {
    return loss.dataSync()[0];
  } finally {
    loss.dispose();
  }
}

function assertClose(actual: number, expected: number, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected}`);
}

function randomMatrix(rand: () => number, rows: number, cols: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => randomNormal(rand)), [rows, cols]);
}

/**
 * InfoNCE written out plainly in float64 on arrays, independently of tfjs: cosine logits times
 * `scale`, cross-entropy with the diagonal as target, mean over rows; `symmetric` averages in
 * the passage→query direction over the in-batch block.
 */
function referenceInfoNce(q: number[][], p: number[][], scale: number, n: number[][] = [], symmetric = false): number {
  const unit = (v: number[]) => {
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return v.map((x) => x / norm);
  };
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  const crossEntropy = (rows: number[][]) =>
    rows.reduce((sum, row, i) => {
      const max = Math.max(...row);
      return sum + max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) - row[i];
    }, 0) / rows.length;
  const [uq, up, un] = [q.map(unit), p.map(unit), n.map(unit)];
  const forward = crossEntropy(uq.map((qi) => [...up, ...un].map((c) => scale * dot(qi, c))));
  if (!symmetric) return forward;
  const backward = crossEntropy(up.map((pj) => uq.map((qi) => scale * dot(qi, pj))));
  return (forward + backward) / 2;
}

function randomRows(rand: () => number, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => randomNormal(rand)));
}

test("the hand-worked values in the comment agree with a plain float64 InfoNCE", () => {
  assertClose(referenceInfoNce(Q, P, 2), 0.3881488599, 1e-10);
  assertClose(referenceInfoNce(Q, P, 2, N), 0.4425260751, 1e-10);
  assertClose(referenceInfoNce(Q, P, 2, [], true), 0.4540602458, 1e-10);
  assertClose(referenceInfoNce(Q, P, 2, N, true), 0.4812488534, 1e-10);
  assertClose(FORWARD, referenceInfoNce(Q, P, 2), 1e-12);
  assertClose(FORWARD_NEG, referenceInfoNce(Q, P, 2, N), 1e-12);
  assertClose((FORWARD + BACKWARD) / 2, referenceInfoNce(Q, P, 2, [], true), 1e-12);
});

test("InfoNceLoss rejects bad options, naming the value and the allowed range", () => {
  assert.equal(new InfoNceLoss().scale, 20);
  assert.equal(new InfoNceLoss().symmetric, false);
  assert.equal(new InfoNceLoss({ temperature: 0.05 }).scale, 20);
  assert.throws(() => new InfoNceLoss({ scale: -1 }), /scale must be a finite number > 0, got -1/);
  assert.throws(() => new InfoNceLoss({ scale: Number.POSITIVE_INFINITY }), /scale .* got Infinity/);
  assert.throws(() => new InfoNceLoss({ temperature: 0 }), /temperature must be a finite number > 0, got 0/);
  assert.throws(() => new InfoNceLoss({ scale: 20, temperature: 0.05 }), /scale \(20\) or temperature \(0.05\), not both/);
  const typo = { scal: 20 } as unknown as ConstructorParameters<typeof InfoNceLoss>[0];
  assert.throws(() => new InfoNceLoss(typo), /unknown option\(s\) scal \(allowed: scale, temperature, symmetric\)/);
  const notBoolean = { symmetric: "yes" } as unknown as ConstructorParameters<typeof InfoNceLoss>[0];
  assert.throws(() => new InfoNceLoss(notBoolean), /symmetric must be true or false, got yes/);
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`InfoNCE on ${backend}`, () => {
    before(async () => {
      assert.equal(await initBackend(backend), backend);
    });

    test("matches the hand-worked batch: in-batch, hard negatives, symmetric", () => {
      const [q, p, n] = [tf.tensor2d(Q), tf.tensor2d(P), tf.tensor2d(N)];
      try {
        assertClose(value(() => infoNceLoss(q, p, 2)), FORWARD);
        assertClose(value(() => new InfoNceLoss({ scale: 2 }).compute(q, p)), FORWARD);
        assertClose(value(() => new InfoNceLoss({ temperature: 0.5 }).compute(q, p)), FORWARD);
        assertClose(value(() => new InfoNceLoss({ scale: 2 }).compute(q, p, n)), FORWARD_NEG);
        assertClose(value(() => new InfoNceLoss({ scale: 2, symmetric: true }).compute(q, p)), (FORWARD + BACKWARD) / 2);
        assertClose(value(() => new InfoNceLoss({ scale: 2, symmetric: true }).compute(q, p, n)), (FORWARD_NEG + BACKWARD) / 2);
      } finally {
        tf.dispose([q, p, n]);
      }
    });

    test("matches the float64 reference on random batches (in-batch, hard negatives, symmetric, scales 1 to 50)", () => {
      const rand = mulberry32(23);
      for (const [b, m, d, scale, symmetric] of [
        [1, 0, 4, 20, false],
        [8, 0, 16, 20, true],
        [6, 12, 32, 50, false],
        [5, 3, 7, 1, true],
      ] as const) {
        const [qs, ps, ns] = [randomRows(rand, b, d), randomRows(rand, b, d), randomRows(rand, m, d)];
        const [q, p] = [tf.tensor2d(qs), tf.tensor2d(ps)];
        const n = m > 0 ? tf.tensor2d(ns) : undefined;
        try {
          const want = referenceInfoNce(qs, ps, scale, ns, symmetric);
          const got = value(() => new InfoNceLoss({ scale, symmetric }).compute(q, p, n));
          // float32 logits of size up to 50: a relative error of a few 1e-7 per logit.
          assertClose(got, want, 1e-4 * Math.max(1, want));
        } finally {
          tf.dispose([q, p, ...(n ? [n] : [])]);
        }
      }
    });

    test("rejects mismatched shapes", () => {
      const [q, p3, n3] = [tf.tensor2d(Q), tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([1, 3]) as tf.Tensor2D];
      try {
        assert.throws(() => infoNceLoss(q, p3, 2), /passages \[3, 2\] must match queries \[2, 2\]/);
        assert.throws(() => infoNceLoss(q, q, 2, n3), /hard negatives must be \[m, 2\], got \[1, 3\]/);
        assert.throws(() => infoNceLoss(q, q, 0), /scale must be a finite number > 0, got 0/);
      } finally {
        tf.dispose([q, p3, n3]);
      }
    });

    test("leaves no tensors behind but its result", () => {
      const rand = mulberry32(5);
      const [q, p, n] = [randomMatrix(rand, 4, 8), randomMatrix(rand, 4, 8), randomMatrix(rand, 8, 8)];
      const before = tf.memory().numTensors;
      const loss = new InfoNceLoss({ symmetric: true }).compute(q, p, n);
      assert.equal(tf.memory().numTensors, before + 1);
      loss.dispose();
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([q, p, n]);
    });

    test("its gradient points downhill: one small SGD step lowers the loss", () => {
      const rand = mulberry32(17);
      const vars = [randomMatrix(rand, 4, 8), randomMatrix(rand, 4, 8), randomMatrix(rand, 8, 8)].map((t, i) =>
        tf.variable(t, true, `infonce-${backend}-${i}`),
      );
      const [q, p, n] = vars as tf.Variable<tf.Rank.R2>[];
      const loss = new InfoNceLoss({ symmetric: true });
      const f = () => loss.compute(q, p, n);
      try {
        const { value: start, grads } = tf.variableGrads(f, vars);
        const startValue = start.dataSync()[0];
        const squaredNorm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => g.square().sum())).dataSync()[0]);
        // Moving by −η·g changes the loss by about −η·|g|²: check the drop has that size, not just its sign.
        const eta = 1e-4;
        tf.tidy(() => vars.forEach((v) => v.assign(v.sub(grads[v.name].mul(eta)))));
        const after = value(f);
        assert.ok(after < startValue, `${after} !< ${startValue}`);
        assertClose((startValue - after) / (eta * squaredNorm), 1, 0.01);
        tf.dispose([start, ...Object.values(grads)]);
      } finally {
        tf.dispose(vars);
      }
    });
  });
}
