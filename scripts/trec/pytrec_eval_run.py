"""Scores a TREC run against TREC qrels with pytrec_eval (trec_eval's own code) and prints one
JSON object: query id -> {map, recip_rank, ndcg_cut_10, recall_<k>...}. Used by
test/eval/trec-check.test.ts to check our run files and our metrics.

    python scripts/trec/pytrec_eval_run.py RUN QRELS 1,10,100
"""
import json
import sys

import pytrec_eval


def read_run(path):
    run = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            qid, _q0, docid, _rank, score, _tag = line.split()
            run.setdefault(qid, {})[docid] = float(score)
    return run


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            qid, _iter, docid, grade = line.split()
            qrels.setdefault(qid, {})[docid] = int(grade)
    return qrels


def main():
    run_path, qrels_path, ks = sys.argv[1], sys.argv[2], sys.argv[3]
    measures = {"map", "recip_rank", "ndcg_cut.10", "recall." + ks}
    evaluator = pytrec_eval.RelevanceEvaluator(read_qrels(qrels_path), measures)
    json.dump(evaluator.evaluate(read_run(run_path)), sys.stdout)


if __name__ == "__main__":
    main()
