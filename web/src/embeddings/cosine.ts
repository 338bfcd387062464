/** A vector as the generated client returns it (`number[]`) or as a typed array. */
export type Vector = ArrayLike<number>;

/**
 * Cosine similarity of two vectors of the same length. The embedding worker returns unit vectors by
 * default, but this does not rely on it, so `skip_normalize` vectors give the same matrix.
 *
 * @example
 *   cosine([1, 0], [0.6, 0.8]); // 0.6
 */
export function cosine(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length: ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** The symmetric matrix of pairwise cosine similarities, row `i` column `j` = cosine(v[i], v[j]). */
export function cosineMatrix(vectors: readonly Vector[]): number[][] {
  const n = vectors.length;
  const m: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const s = cosine(vectors[i] as Vector, vectors[j] as Vector);
      (m[i] as number[])[j] = s;
      (m[j] as number[])[i] = s;
    }
  }
  return m;
}
