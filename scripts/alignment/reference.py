"""Reference alignment measures in NumPy, written independently of src/eval/alignment.ts, for
test/eval/alignment-numpy.test.ts: bitext P@1 from the full cosine matrix, the non-translation
cosine by brute force over every cross-language pair, centroid distances, and centroid removal.

    python scripts/alignment/reference.py DIR    # reads DIR/{candidates.npy,structure.json}, writes DIR/reference.json
"""
import json
import sys

import numpy as np


def main(folder: str) -> None:
    emb = np.load(f"{folder}/candidates.npy").astype(np.float64)
    structure = json.load(open(f"{folder}/structure.json"))
    lang = np.array(structure["lang"])
    pairs = [tuple(p) for p in structure["pairs"]]
    num_langs = structure["numLanguages"]

    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    x = np.where(norms > 0, emb / np.where(norms > 0, norms, 1), 0.0)
    sims = x @ x.T

    translations = {}
    for i, j in pairs:
        translations.setdefault(i, set()).add(j)
        translations.setdefault(j, set()).add(i)
    accuracy = [[None] * num_langs for _ in range(num_langs)]
    for a in range(num_langs):
        for b in range(num_langs):
            if a == b:
                continue
            targets = np.flatnonzero(lang == b)
            hits = total = 0
            for i in np.flatnonzero(lang == a):
                wanted = {t for t in translations.get(int(i), ()) if lang[t] == b}
                if not wanted:
                    continue
                total += 1
                hits += int(targets[np.argmax(sims[i, targets])]) in wanted
            accuracy[a][b] = hits / total if total else None

    cross = lang[:, None] != lang[None, :]
    upper = np.triu(np.ones_like(cross), k=1)
    is_pair = np.zeros_like(cross)
    for i, j in pairs:
        is_pair[i, j] = True
    other = cross & upper & ~is_pair
    translation_cos = float(np.mean([sims[i, j] for i, j in pairs]))
    other_cos = float(sims[other].mean())

    centroids = np.stack([x[lang == l].mean(axis=0) for l in range(num_langs)])
    distances = np.linalg.norm(centroids[:, None, :] - centroids[None, :, :], axis=2)
    removed = x - centroids[lang]
    removed = removed / np.linalg.norm(removed, axis=1, keepdims=True)

    json.dump(
        {
            "bitext": accuracy,
            "translationCosine": translation_cos,
            "nonTranslationCosine": other_cos,
            "nonTranslationPairs": int(other.sum()),
            "centroidDistance": distances.tolist(),
            "removedFirstRows": removed[:5].tolist(),
        },
        open(f"{folder}/reference.json", "w"),
    )


if __name__ == "__main__":
    main(sys.argv[1])
