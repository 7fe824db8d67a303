"""Execute one notebook with nbclient, cell by cell, and export it.

Writes the executed copy (.ipynb) and its HTML export to the output folder whether the run
succeeded or not (a failed run keeps the outputs up to the failing cell), and a JSON result
naming the failing cell. tslab reports a failing cell through the execute reply's status, not
an error output, so the reply is what is checked.

tslab publishes no execute_input message, from which nbclient takes a cell's prompt number, so
the code cells are numbered here in execution order, 1, 2, ..., as a run in JupyterLab numbers
them. The HTML export carries KaTeX (from node_modules, fonts inlined) once, so the formulas in
the prose render when the file is opened offline.

Usage: python execute_notebook.py NOTEBOOK OUTDIR RESULT_JSON --timeout SECONDS
"""

import argparse
import base64
import json
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def cell_stderr(cell):
    texts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            texts.append(output.get("text", ""))
        if output.get("output_type") == "error":
            texts.append("%s: %s" % (output.get("ename", ""), output.get("evalue", "")))
    return "".join(texts).strip()


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KATEX_DIST = os.path.join(ROOT, "node_modules", "katex", "dist")
# One @font-face source list of katex.min.css: woff2, then the woff and ttf fallbacks.
FONT_SOURCES = re.compile(r'src:url\(fonts/([\w-]+)\.woff2\) format\("woff2"\)(?:,url\(fonts/[\w-]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\))*')


def number_cell(cell, count):
    """Gives a code cell, and any execute_result among its outputs, the prompt number `count`."""
    cell["execution_count"] = count
    for output in cell.get("outputs", []):
        if output.get("output_type") == "execute_result":
            output["execution_count"] = count


def inline_script(text):
    # Only "</script" can end an inline script early.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def katex_assets(dist=KATEX_DIST):
    """KaTeX for the HTML export: its stylesheet with every font inlined as a woff2 data URL (the
    fallback formats dropped), its script, and its auto-render extension."""
    from markupsafe import Markup

    def read(name):
        path = os.path.join(dist, name)
        if not os.path.isfile(path):
            raise RuntimeError("KaTeX is missing: %s does not exist (run npm install in %s)" % (path, ROOT))
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    def inline_font(match):
        with open(os.path.join(dist, "fonts", match.group(1) + ".woff2"), "rb") as handle:
            data = base64.b64encode(handle.read()).decode("ascii")
        return 'src:url(data:font/woff2;base64,%s) format("woff2")' % data

    css = FONT_SOURCES.sub(inline_font, read("katex.min.css"))
    if "url(fonts/" in css:
        raise RuntimeError("katex.min.css has a font source the export cannot inline: %s" % css[css.index("url(fonts/") :][:120])
    return {
        "css": Markup(css),
        "js": Markup(inline_script(read("katex.min.js"))),
        "auto_render": Markup(inline_script(read(os.path.join("contrib", "auto-render.min.js")))),
    }


def export_html(nb, path, template_dir):
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(extra_template_basedirs=[template_dir], template_name="replearn")
    body, _ = exporter.from_notebook_node(nb, resources={"replearn_katex": katex_assets()})
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("outdir")
    parser.add_argument("result")
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--kernel", default="tslab")
    args = parser.parse_args()

    name = os.path.splitext(os.path.basename(args.notebook))[0]
    nb = nbformat.read(args.notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name=args.kernel,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
    )
    result = {"notebook": name, "status": "ok", "cell": None, "message": None}
    started = time.time()
    index = -1
    count = 0
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if not cell.source.strip():  # JupyterLab sends no request for a blank cell: no number
                    cell["execution_count"] = None
                    continue
                count += 1
                try:
                    client.execute_cell(cell, index)
                finally:  # the failing cell keeps its number too
                    number_cell(cell, count)
    except CellTimeoutError:
        result.update(status="timeout", message="cell ran past the per-cell timeout of %d s" % args.timeout)
    except DeadKernelError as error:
        result.update(status="failed", message="the kernel died: %s" % error)
    except CellExecutionError as error:
        result.update(status="failed", message=cell_stderr(nb.cells[index]) or str(error))
    except Exception as error:  # a kernel that never started, a missing kernel spec, ...
        result.update(status="failed", message="%s: %s" % (type(error).__name__, error))
    result["seconds"] = round(time.time() - started, 2)
    if result["status"] != "ok" and 0 <= index < len(nb.cells):
        cell = nb.cells[index]
        result["cell"] = {"index": index, "id": cell.get("id"), "source": cell.source[:400]}

    os.makedirs(args.outdir, exist_ok=True)
    ipynb_path = os.path.join(args.outdir, name + ".ipynb")
    nbformat.write(nb, ipynb_path)
    result["ipynb"] = ipynb_path
    result["bytes"] = os.path.getsize(ipynb_path)
    try:
        html_path = os.path.join(args.outdir, name + ".html")
        export_html(nb, html_path, os.path.join(os.path.dirname(os.path.abspath(__file__)), "nbconvert-templates"))
        result["html"] = html_path
    except Exception as error:
        result["html_error"] = "%s: %s" % (type(error).__name__, error)
        if result["status"] == "ok":
            result.update(status="failed", message="HTML export failed: " + result["html_error"])
    with open(args.result, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
