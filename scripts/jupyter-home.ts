/**
 * The project's own Jupyter home, `.jupyter/` in the checkout (git-ignored): the tslab kernelspec,
 * the offline HTML template and the config files, shared by the headless notebook runner
 * (run-notebooks) and JupyterLab (`npm run lab`, check-lab). Jupyter is pointed there through
 * its environment variables, so the user's own Jupyter set-up is neither read nor changed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const KERNEL_NAME = "tslab";
/** An nbconvert template: the lab template without its CDN scripts (require.js, MathJax). */
export const TEMPLATE_NAME = "hybrid-ir-offline";
/** Markers around the stderr of a failing cell that nbconvert's hook prints (see run-notebooks). */
export const CELL_ERROR_BEGIN = "hybrid-ir: stderr of the failing cell:";
export const CELL_ERROR_END = "hybrid-ir: end of stderr";

/** The tslab launcher in node_modules, run by the node running this script. */
export function tslabBin(): string {
  return join(dirname(createRequire(import.meta.url).resolve("tslab/package.json")), "bin", "tslab");
}

/**
 * Writes the tslab kernelspec, the offline HTML template and the config files under `dir`
 * (rewritten every time, since they hold absolute paths) and returns the environment that makes
 * Jupyter use only them, with HYBRID_IR_PRESET set for the kernels.
 */
export function registerJupyter(dir: string, preset: string): NodeJS.ProcessEnv {
  const kernelDir = join(dir, "kernels", KERNEL_NAME);
  mkdirSync(kernelDir, { recursive: true });
  const kernel = {
    // The running node, not whichever `tslab` is first on PATH.
    argv: [process.execPath, tslabBin(), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript",
    language: "typescript",
  };
  writeFileSync(join(kernelDir, "kernel.json"), JSON.stringify(kernel, null, 2) + "\n");

  // nbconvert's lab template loads require.js and MathJax from a CDN; plotly.js is inlined by
  // src/report/display.ts and nothing else needs them, so the blocks are emptied. (LaTeX in
  // markdown cells is therefore shown as source.)
  const templateDir = join(dir, "nbconvert", "templates", TEMPLATE_NAME);
  mkdirSync(templateDir, { recursive: true });
  writeFileSync(join(templateDir, "conf.json"), JSON.stringify({ base_template: "lab", mimetypes: { "text/html": true } }));
  writeFileSync(
    join(templateDir, "index.html.j2"),
    [
      "{%- extends 'lab/index.html.j2' -%}",
      "{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}",
      "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}",
      "{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}",
      "",
    ].join("\n"),
  );

  // A Callable trait cannot be set on the command line, hence a config file.
  const configDir = join(dir, "config");
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, "jupyter_nbconvert_config.py"),
    [
      "import sys",
      "",
      "def print_cell_stderr(cell, cell_index, execute_reply):",
      "    text = ''.join(o.get('text', '') for o in cell.outputs",
      "                   if o.get('output_type') == 'stream' and o.get('name') == 'stderr')",
      `    print(${JSON.stringify(CELL_ERROR_BEGIN)}, text.rstrip(), ${JSON.stringify(CELL_ERROR_END)}, sep='\\n', file=sys.stderr)`,
      "",
      "c.ExecutePreprocessor.on_cell_error = print_cell_stderr",
      "",
    ].join("\n"),
  );
  // JupyterLab's File → Save and Export Notebook As → HTML runs the server's nbconvert with the
  // server's config: the same offline template, so an exported notebook opens without network.
  writeFileSync(
    join(configDir, "jupyter_server_config.json"),
    JSON.stringify({ HTMLExporter: { template_name: TEMPLATE_NAME, embed_images: true } }, null, 2) + "\n",
  );
  mkdirSync(join(dir, "runtime"), { recursive: true });
  return {
    ...process.env,
    HYBRID_IR_PRESET: preset,
    JUPYTER_PATH: dir,
    JUPYTER_DATA_DIR: dir,
    JUPYTER_CONFIG_DIR: configDir,
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
  };
}
