import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { encoderConfigToJson } from "../../src/model/config.js";
import { readSentenceModelSpec, writeSentenceModelSpec } from "../../src/model/st-layout.js";
import type { SentenceModelSpec } from "../../src/model/st-layout.js";
import { freshDirs, rejectsData, TINY } from "./helpers.js";


/** sentence-transformers/LaBSE's pipeline at hidden size 8: CLS → Dense(tanh) → Normalize. */
const LABSE_LIKE: SentenceModelSpec = {
  transformerPath: "",
  maxSeqLength: 256,
  doLowerCase: false,
  pooling: { mode: "cls", dim: 8 },
  dense: {
    inFeatures: 8,
    outFeatures: 8,
    activation: "tanh",
    weight: { shape: [8, 8], data: Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 64) },
    bias: { shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => i / 8) },
  },
  normalize: true,
};

const readJson = async (file: string): Promise<unknown> => JSON.parse(await readFile(file, "utf8"));


describe("sentence-transformers layout", () => {
  const freshDir = freshDirs("st-layout-");

  test("LaBSE-shaped pipeline: write → read round trip", async () => {
    const dir = await freshDir();
    await writeSentenceModelSpec(dir, LABSE_LIKE);
    assert.deepEqual(await readSentenceModelSpec(dir), { ...LABSE_LIKE, inferred: false });
  });

  test("the files are what sentence-transformers 3 writes", async () => {
    const dir = await freshDir();
    await writeSentenceModelSpec(dir, LABSE_LIKE);
    assert.deepEqual(await readJson(join(dir, "modules.json")), [
      { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
      { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
      { idx: 2, name: "2", path: "2_Dense", type: "sentence_transformers.models.Dense" },
      { idx: 3, name: "3", path: "3_Normalize", type: "sentence_transformers.models.Normalize" },
    ]);
    assert.deepEqual(await readJson(join(dir, "1_Pooling", "config.json")), {
      word_embedding_dimension: 8,
      pooling_mode_cls_token: true,
      pooling_mode_mean_tokens: false,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
    assert.deepEqual(await readJson(join(dir, "2_Dense", "config.json")), {
      in_features: 8,
      out_features: 8,
      bias: true,
      activation_function: "torch.nn.modules.activation.Tanh",
    });
    assert.deepEqual((await readdir(join(dir, "2_Dense"))).sort(), ["config.json", "model.safetensors"]);
    assert.ok((await stat(join(dir, "3_Normalize"))).isDirectory());
    assert.deepEqual(await readdir(join(dir, "3_Normalize")), []);
    assert.deepEqual(await readJson(join(dir, "sentence_bert_config.json")), { max_seq_length: 256, do_lower_case: false });
    const st = (await readJson(join(dir, "config_sentence_transformers.json"))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(st), ["__version__", "prompts", "default_prompt_name", "similarity_fn_name"]);
    assert.deepEqual([st.prompts, st.default_prompt_name, st.similarity_fn_name], [{}, null, null]);
  });

  test("mean pooling, identity dense without bias, no normalize; a 0_Transformer folder", async () => {
    const dir = await freshDir();
    const spec: SentenceModelSpec = {
      transformerPath: "0_Transformer",
      pooling: { mode: "mean", dim: 8 },
      dense: { inFeatures: 8, outFeatures: 4, activation: "identity", weight: { shape: [4, 8], data: new Float32Array(32).fill(0.5) } },
      normalize: false,
    };
    await writeSentenceModelSpec(dir, spec, { prompts: { query: "query: " }, defaultPromptName: "query" });
    assert.deepEqual(await readSentenceModelSpec(dir), { ...spec, doLowerCase: false, inferred: false });
    assert.deepEqual(await readJson(join(dir, "0_Transformer", "sentence_bert_config.json")), { max_seq_length: null, do_lower_case: false });
    const st = (await readJson(join(dir, "config_sentence_transformers.json"))) as Record<string, unknown>;
    assert.deepEqual([st.prompts, st.default_prompt_name], [{ query: "query: " }, "query"]);
  });

  test("without Dense, Normalize takes the next index (2_Normalize)", async () => {
    const dir = await freshDir();
    await writeSentenceModelSpec(dir, { transformerPath: "", pooling: { mode: "max", dim: 8 }, normalize: true });
    const modules = (await readJson(join(dir, "modules.json"))) as Array<{ path: string }>;
    assert.deepEqual(modules.map((m) => m.path), ["", "1_Pooling", "2_Normalize"]);
    const spec = await readSentenceModelSpec(dir);
    assert.deepEqual([spec.pooling, spec.dense, spec.normalize], [{ mode: "max", dim: 8 }, undefined, true]);
  });

  test("a bare Hugging Face directory infers mean pooling over the hidden size", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "config.json"), JSON.stringify(encoderConfigToJson(TINY)));
    assert.deepEqual(await readSentenceModelSpec(dir), {
      transformerPath: "",
      pooling: { mode: "mean", dim: 8 },
      normalize: false,
      inferred: true,
    });
    const empty = await freshDir();
    await rejectsData(readSentenceModelSpec(empty), join(empty, "modules.json"), /is missing, and so is config\.json/);
  });

  test("older layouts: flags sentence-transformers defaults, legacy Transformer config names", async () => {
    const dir = await freshDir();
    await writeFile(
      join(dir, "modules.json"),
      JSON.stringify([
        { idx: 0, name: "0", path: "0_Transformer", type: "sentence_transformers.models.Transformer" },
        { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
      ]),
    );
    await mkdir(join(dir, "0_Transformer"));
    await writeFile(join(dir, "0_Transformer", "sentence_xlm-roberta_config.json"), JSON.stringify({ max_seq_length: 128, do_lower_case: true }));
    await mkdir(join(dir, "1_Pooling"));
    // Only the dimension: sentence-transformers' constructor defaults to mean pooling.
    await writeFile(join(dir, "1_Pooling", "config.json"), JSON.stringify({ word_embedding_dimension: 8 }));
    assert.deepEqual(await readSentenceModelSpec(dir), {
      transformerPath: "0_Transformer",
      maxSeqLength: 128,
      doLowerCase: true,
      pooling: { mode: "mean", dim: 8 },
      normalize: false,
      inferred: false,
    });
  });

  test("unsupported modules, pooling modes and torch-only Dense weights are clear errors", async () => {
    const dir = await freshDir();
    await writeSentenceModelSpec(dir, LABSE_LIKE);
    const modulesFile = join(dir, "modules.json");
    const modules = (await readJson(modulesFile)) as Array<Record<string, unknown>>;

    await writeFile(modulesFile, JSON.stringify([...modules, { idx: 4, name: "4", path: "4_LayerNorm", type: "sentence_transformers.models.LayerNorm" }]));
    await rejectsData(readSentenceModelSpec(dir), modulesFile, /module 4 has type 'sentence_transformers\.models\.LayerNorm', which is not supported/);
    await writeFile(modulesFile, JSON.stringify([modules[0], modules[1], modules[3], modules[2]]));
    await rejectsData(readSentenceModelSpec(dir), modulesFile, /Transformer → Pooling → Normalize → Dense are not supported/);
    await writeFile(modulesFile, JSON.stringify(modules));

    const pooling = join(dir, "1_Pooling", "config.json");
    await writeFile(pooling, JSON.stringify({ word_embedding_dimension: 8, pooling_mode_lasttoken: true, pooling_mode_mean_tokens: false }));
    await rejectsData(readSentenceModelSpec(dir), pooling, /pooling lasttoken \(module listed in modules\.json\) is not supported: exactly one of cls, mean, max/);
    // The mean flag defaults to true, so cls alone in the file means cls + mean concatenated.
    await writeFile(pooling, JSON.stringify({ word_embedding_dimension: 8, pooling_mode_cls_token: true }));
    await rejectsData(readSentenceModelSpec(dir), pooling, /pooling cls \+ mean/);
    await writeFile(pooling, JSON.stringify({ word_embedding_dimension: 8, pooling_mode: "CLS" }));
    assert.equal((await readSentenceModelSpec(dir)).pooling.mode, "cls");

    const denseConfig = join(dir, "2_Dense", "config.json");
    const dense = (await readJson(denseConfig)) as Record<string, unknown>;
    await writeFile(denseConfig, JSON.stringify({ ...dense, activation_function: "torch.nn.modules.activation.ReLU" }));
    await rejectsData(readSentenceModelSpec(dir), denseConfig, /activation_function "torch\.nn\.modules\.activation\.ReLU" is not supported/);
    await writeFile(denseConfig, JSON.stringify({ ...dense, in_features: 4 }));
    await rejectsData(readSentenceModelSpec(dir), denseConfig, /in_features 4 does not match the pooling output dimension 8/);
    await writeFile(denseConfig, JSON.stringify({ ...dense, bias: false }));
    await rejectsData(readSentenceModelSpec(dir), join(dir, "2_Dense", "model.safetensors"), /unexpected linear\.bias/);
    await writeFile(denseConfig, JSON.stringify(dense));

    await rm(join(dir, "2_Dense", "model.safetensors"));
    await writeFile(join(dir, "2_Dense", "pytorch_model.bin"), "torch pickle");
    await rejectsData(
      readSentenceModelSpec(dir),
      join(dir, "2_Dense", "model.safetensors"),
      /only pytorch_model\.bin, and hybrid-ir reads safetensors only.*\n.*SentenceTransformer\('.*'\)\.save\(/,
    );
  });

  test("writing refuses a spec whose dense shapes disagree", async () => {
    const dir = await freshDir();
    const bad = { ...LABSE_LIKE, dense: { ...LABSE_LIKE.dense!, outFeatures: 4 } };
    await assert.rejects(writeSentenceModelSpec(dir, bad), /dense\.weight has shape \[8, 8\], expected \[4, 8\]/);
    assert.deepEqual(await readdir(dir), []);
  });
});
