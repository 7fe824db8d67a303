"""Execute one notebook with nbclient, cell by cell, and export it.

Writes the executed copy (.ipynb) and its HTML export to the output folder whether the run
succeeded or not (a failed run keeps the outputs up to the failing cell), and a JSON result
naming the failing cell. tslab reports a failing cell through the execute reply's status, not
an error output, so the reply is what is checked.

tslab publishes no execute_input message, from which nbclient takes a cell's prompt number, so
the code cells are numbered here in execution order, 1, 2, ..., as a run in JupyterLab numbers
them. The HTML export carries KaTeX (from node_modules, fonts inlined) once, so the formulas in
the prose render when the file is opened offline.

A promise that rejects with nobody awaiting it, or a timer callback that throws, does not fail the
cell that started it in tslab (the kernel only prints it to its own stderr). A watcher installed
in the kernel before the first cell records such errors with the index of the cell that started
them (promises are tagged at creation through V8's promise hooks, timers when scheduled); a hidden
request between cells, and one after the last, fails the notebook at that cell with the error.

SIGTERM (and SIGINT) shut the kernel down before this process exits: the kernel runs in a session
of its own, so a signal to this process's group alone would leave it running. The executed copy
is still written, up to the interrupted cell, and every file is written under a temporary name and
renamed into place, so a reader never sees half a file.

With --allow-errors (grading, as nbgrader's autograde runs a submission) a failing cell, or an
error a cell started, is recorded and the run goes on to the next cell; a timeout or a dead kernel
still ends the run, and the cells after it are recorded as not run. Either way the result lists
every code cell: its index, id, status (ok, failed, not run) and the first line of its failure.

Usage: python execute_notebook.py NOTEBOOK OUTDIR RESULT_JSON --timeout SECONDS [--allow-errors]
"""

import argparse
import base64
import json
import os
import re
import signal
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync


# After a failed cell tslab resets its queue with a 200 ms delay, answering "abort" to any request
# that arrives meanwhile (its jupyter.js, handleExecute): the next request waits this long.
TSLAB_ABORT_WINDOW = 0.3


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def failure_line(text):
    """The line of a failed cell's stderr that says what went wrong: the thrown error's
    `Name: message` line (tslab prints the source location and a caret before it), else the first."""
    for line in text.splitlines():
        if re.match(r"^\s*[\w$.]*(Error|Exception)\b.*:", line):
            return line.strip()
    return first_line(text)


def cell_stderr(cell):
    texts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            texts.append(output.get("text", ""))
        if output.get("output_type") == "error":
            texts.append("%s: %s" % (output.get("ename", ""), output.get("evalue", "")))
    return "".join(texts).strip()


class Terminated(Exception):
    """Raised in the main thread by the SIGTERM/SIGINT handler."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class KernelErrors(Exception):
    """Errors the kernel recorded outside any cell's reply (unhandled rejections, uncaught exceptions)."""

    def __init__(self, errors):
        self.errors = errors
        first = errors[0]
        more = "" if len(errors) == 1 else " (and %d more)" % (len(errors) - 1)
        super().__init__("%s started by this cell: %s%s" % (first["kind"], first["message"], more))


# Installed once per kernel. Written as JavaScript run by an indirect eval (tslab type-checks the
# TypeScript around it only), taking `require` from the cell wrapper tslab puts around each request.
WATCH_JS = r"""(function (require) {
  const g = globalThis;
  if (g.__replearnWatch !== undefined) return;
  const startedBy = new WeakMap();
  const errors = [];
  let cell = -1;
  let timerCell;
  require('v8').promiseHooks.onInit((promise, parent) => {
    startedBy.set(promise, parent !== undefined && startedBy.has(parent) ? startedBy.get(parent) : cell);
  });
  const describe = (value) => {
    if (value instanceof Error) return value.stack ?? String(value);
    try { return require('util').inspect(value); } catch { return String(value); }
  };
  process.on('unhandledRejection', (reason, promise) => {
    errors.push({ kind: 'an unhandled promise rejection', cell: startedBy.get(promise) ?? cell, message: describe(reason) });
  });
  process.on('uncaughtException', (error) => {
    errors.push({ kind: 'an uncaught exception', cell: timerCell ?? cell, message: describe(error) });
    timerCell = undefined;
  });
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
    const original = g[name];
    const wrapped = function (callback, ...rest) {
      if (typeof callback !== 'function') return original.call(this, callback, ...rest);
      const from = cell;
      return original.call(this, function (...args) {
        try { return callback.apply(this, args); } catch (error) { timerCell = from; throw error; }
      }, ...rest);
    };
    Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
    g[name] = wrapped;
  }
  g.__replearnWatch = {
    next(index) { const taken = errors.splice(0); cell = index; return JSON.stringify(taken); },
  };
})"""
MARK = "@@replearn-watch@@"


def hidden(client, code, timeout):
    """Runs `code` in the kernel outside the notebook (no history, no cell); returns its stdout."""

    async def run():
        kc = client.kc
        msg_id = kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        reply = None
        idle = False
        text = []
        deadline = time.monotonic() + timeout
        while reply is None or not idle:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CellTimeoutError("a hidden request to the kernel ran past %d s" % timeout)
            if reply is None:
                msg = await kc.get_shell_msg(timeout=left)
                if msg["parent_header"].get("msg_id") == msg_id:
                    reply = msg
                continue
            msg = await kc.get_iopub_msg(timeout=left)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                text.append(msg["content"].get("text", ""))
            elif msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                idle = True
        if reply["content"].get("status") != "ok":
            raise RuntimeError("a hidden request to the kernel failed (%s): %s" % (reply["content"].get("status"), "".join(text).strip()))
        return "".join(text)

    return run_sync(run)()


def watch_errors(client, next_index, timeout, settle=False):
    """Checks the kernel's recorded errors, then tells it that cell `next_index` runs next."""
    # A short wait lets a rejection still pending after the last cell arrive.
    wait = "await new Promise<void>((resolve) => setTimeout(resolve, 100));\n" if settle else ""
    out = hidden(client, '%sconsole.log("%s" + (globalThis as any).__replearnWatch.next(%d));' % (wait, MARK, next_index), timeout)
    for line in out.splitlines():
        if line.startswith(MARK):
            errors = json.loads(line[len(MARK) :])
            if errors:
                raise KernelErrors(errors)
            return
    raise RuntimeError("the kernel's error watcher did not answer (got %r)" % out[:200])


def kernel_process(client):
    """The kernel's Popen, where the kernel manager exposes it (jupyter_client 7 and 8)."""
    km = getattr(client, "km", None)
    if km is None:
        return None
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None) if provisioner is not None else None
    return process if process is not None else getattr(km, "kernel", None)


def signal_kernel(kernel, signum):
    """Sends `signum` to the kernel's whole session (jupyter_client starts it in a session of its
    own, whose group id is its PID) if it still runs."""
    if kernel is None or kernel.poll() is not None:
        return
    try:
        os.killpg(kernel.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def write_atomic(path, write):
    """Calls write(temporary_path), then renames the temporary file to `path`."""
    temporary = "%s.tmp-%d" % (path, os.getpid())
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


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
    parser.add_argument("--kernel-pid-file", default=None, help="where to write the kernel's PID once it runs")
    parser.add_argument("--allow-errors", action="store_true", help="record a failing cell and run on (grading)")
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
    # Every code cell's record, by index: "not run" until it runs.
    reports = {i: {"index": i, "id": c.get("id"), "status": "not run", "message": None} for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    started = time.time()
    index = -1
    count = 0
    kernel = None
    stopping = []

    def on_signal(signum, _frame):
        first = not stopping
        stopping.append(signum)
        # tslab has no SIGTERM handler: this ends it at once, whatever its cell is doing.
        signal_kernel(kernel, signal.SIGTERM)
        if first:
            raise Terminated(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        with client.setup_kernel():
            kernel = kernel_process(client)
            if kernel is not None and args.kernel_pid_file:
                write_atomic(args.kernel_pid_file, lambda path: open(path, "w").write(str(kernel.pid)))
            hidden(client, "(0, eval)(%s)(require);" % json.dumps(WATCH_JS), args.timeout)

            def watch(next_index, settle=False):
                try:
                    watch_errors(client, next_index, args.timeout, settle)
                except KernelErrors as error:
                    for recorded in error.errors:  # each error fails the cell that started it
                        record = reports.get(recorded["cell"])
                        if record is not None and record["status"] == "ok":
                            record.update(status="failed", message="%s: %s" % (recorded["kind"], failure_line(recorded["message"])))
                    if not args.allow_errors:
                        raise

            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                record = reports[index]
                if not cell.source.strip():  # JupyterLab sends no request for a blank cell: no number
                    cell["execution_count"] = None
                    record["status"] = "ok"
                    continue
                watch(index)
                count += 1
                try:
                    client.execute_cell(cell, index)
                    record["status"] = "ok"
                except CellExecutionError as error:
                    record.update(status="failed", message=failure_line(cell_stderr(cell) or str(error)))
                    if not args.allow_errors:
                        raise
                    # tslab aborts every request that reaches it within 200 ms of a failed cell.
                    time.sleep(TSLAB_ABORT_WINDOW)
                finally:  # the failing cell keeps its number too
                    number_cell(cell, count)
            watch(-1, settle=True)
            failed = [r for r in reports.values() if r["status"] != "ok"]
            if failed:
                result.update(status="failed", cell_errors=len(failed), message="%d cells failed, the first at cell %d: %s" % (len(failed), failed[0]["index"], failed[0]["message"]))
                index = failed[0]["index"]
    except Terminated as error:
        result.update(status="terminated", message="stopped by %s; the kernel was shut down" % error)
    except KernelErrors as error:
        starter = error.errors[0]["cell"]
        if 0 <= starter < len(nb.cells):
            index = starter
        result.update(status="failed", message=str(error))
    except CellTimeoutError:
        result.update(status="timeout", message="cell ran past the per-cell timeout of %d s" % args.timeout)
        if index in reports:
            reports[index].update(status="failed", message=result["message"])
    except DeadKernelError as error:
        result.update(status="failed", message="the kernel died: %s" % error)
        if index in reports:
            reports[index].update(status="failed", message=first_line(result["message"]))
    except CellExecutionError as error:
        result.update(status="failed", message=cell_stderr(nb.cells[index]) or str(error))
    except Exception as error:  # a kernel that never started, a missing kernel spec, ...
        result.update(status="failed", message="%s: %s" % (type(error).__name__, error))
    finally:
        # From here on a signal only marks the run as stopped: the partial copy is still written.
        signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
        signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
        # The kernel manager's own shutdown may have been cut short by the signal.
        signal_kernel(kernel, signal.SIGKILL)
    if stopping and result["status"] == "ok":
        result.update(status="terminated", message="stopped by %s after the last cell" % signal.Signals(stopping[0]).name)
    result["seconds"] = round(time.time() - started, 2)
    result["cells"] = list(reports.values())
    if result["status"] != "ok" and 0 <= index < len(nb.cells):
        cell = nb.cells[index]
        result["cell"] = {"index": index, "id": cell.get("id"), "source": cell.source[:400]}

    os.makedirs(args.outdir, exist_ok=True)
    ipynb_path = os.path.join(args.outdir, name + ".ipynb")
    write_atomic(ipynb_path, lambda path: nbformat.write(nb, path))
    result["ipynb"] = ipynb_path
    result["bytes"] = os.path.getsize(ipynb_path)
    try:
        html_path = os.path.join(args.outdir, name + ".html")
        templates = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nbconvert-templates")
        write_atomic(html_path, lambda path: export_html(nb, path, templates))
        result["html"] = html_path
    except Exception as error:
        result["html_error"] = "%s: %s" % (type(error).__name__, error)
        if result["status"] == "ok":
            result.update(status="failed", message="HTML export failed: " + result["html_error"])

    def write_result(path):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)

    write_atomic(args.result, write_result)
    if stopping:
        return 128 + stopping[0]
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
