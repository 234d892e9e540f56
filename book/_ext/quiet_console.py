"""Sphinx extension of the lstmkit book: pages that log no error in the browser's console.

Three fixes, each for an error every reader's console showed:
- "Identifier 'THEBE_JS_URL' has already been declared": sphinx-thebe adds its inline script once
  per read of the sources, and jupyter-book reads twice, so each page declared the constant twice.
  Drop repeated inline scripts (same body, no file) from each page.
- "Cannot read properties of undefined (reading 'Queue')": the ipywidgets embed manager typesets
  widget labels with MathJax 2's MathJax.Hub.Queue, while the book loads MathJax 3. A small script,
  run after MathJax 3, gives MathJax 3 a Hub.Queue that typesets with MathJax 3's own call.
- "Got invalid theme mode": the theme starts from an empty mode unless the page context names one;
  "light", the background the figures and widgets are drawn for (a reader can still switch).
"""
from pathlib import Path

# runs after MathJax 3 (deferred, later in the page): MathJax.Hub.Queue(["Typeset", MathJax.Hub, el])
HUB_QUEUE = """(function () {
  var M = window.MathJax;
  if (!M || !M.version || M.Hub) { return; }
  M.Hub = {Queue: function () {
    Array.prototype.forEach.call(arguments, function (job) {
      if (Array.isArray(job) && job[0] === "Typeset" && M.typesetPromise) {
        M.startup.promise.then(function () { return M.typesetPromise(job[2] ? [job[2]] : undefined); })
          .catch(function (err) { console.warn("MathJax typeset:", err); });
      }
    });
  }};
})();
"""


def set_default_mode(app, config):
    config.html_context.setdefault("default_mode", "light")


def write_hub_queue(app):
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "mathjax2_hub_queue.js").write_text(HUB_QUEUE)


def drop_repeated_inline_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        body = getattr(script, "attributes", {}).get("body")
        if body and not getattr(script, "filename", None):    # inline: a body, no file
            if body in seen:
                continue
            seen.add(body)
        kept.append(script)
    if "script_files" in context:
        context["script_files"][:] = kept


def setup(app):
    app.connect("config-inited", set_default_mode)
    app.connect("builder-inited", write_hub_queue)
    # after mathjax/tex-mml-chtml.js (priority 500 for MathJax's own file), deferred like it
    app.add_js_file("mathjax2_hub_queue.js", priority=800, loading_method="defer")
    app.connect("html-page-context", drop_repeated_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
