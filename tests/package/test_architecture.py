"""The package's shape: the layer map in lstmkit's docstring is true, and the chapter footers are.

The map lists every module of lstmkit under one layer; imports may only go down the map (core at
the bottom), no modules import each other around a circle (imports inside functions count), torch
is never imported at module level, and the core and the bridges never import matplotlib, ipywidgets
or tqdm. "Defined in chapter NN" at the end of a docstring must point at a
chapter whose cells (text, code or printed output) name the function.
"""
import ast
import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lstmkit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lstmkit"
ORDER = ["core", "bridges", "experiments", "presentation"]
PRESENTATION_ONLY = {"matplotlib", "ipywidgets", "IPython"}


def layer_map():
    """{module name: layer} from the '- layer, ...: ``a``, ``b``' items of the package docstring."""
    found, layer = {}, None
    for line in lstmkit.__doc__.splitlines():
        m = re.match(r"- (\w+), [^:]*: (.*)$", line)
        if m:
            layer, names = m.group(1), m.group(2)
            assert layer in ORDER, line
        elif layer and line.startswith("  "):     # the item goes on
            names = line
        else:
            layer = None
            continue
        for name in re.findall(r"``(\w+)``", names):
            assert name not in found, f"{name} is listed twice"
            found[name] = layer
    return found


def source_files():
    """(top-level module name, path) of every .py file in the package, subpackages included."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.name == "__init__.py" and len(rel.parts) == 1:
            continue
        yield rel.parts[0].removesuffix(".py"), path


def imports(path):
    """[(imported module, at module level?)] of one file; lstmkit imports as 'lstmkit.<module>'."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = ([f"lstmkit.{a.name}" for a in node.names] if node.module == "lstmkit" else [node.module])
        else:
            continue
        found += [(n, id(node) in top) for n in names]
    return found


def test_the_map_lists_every_module_once():
    modules = {name for name, _ in source_files()}
    assert set(layer_map()) == modules


@pytest.mark.parametrize("name, path", list(source_files()), ids=lambda v: str(v).split("lstmkit/")[-1])
def test_imports_only_go_down(name, path):
    layers = layer_map()
    mine = ORDER.index(layers[name])
    for target, module_level in imports(path):
        root = target.split(".")[0]
        if root == "lstmkit":
            other = target.split(".")[1]
            assert ORDER.index(layers[other]) <= mine, f"{name} ({layers[name]}) imports {other} ({layers[other]})"
        assert not (root == "torch" and module_level), f"{name} imports torch at module level"
        if layers[name] in ("core", "bridges"):
            assert root not in PRESENTATION_ONLY | {"tqdm"}, f"{name} ({layers[name]}) imports {root}"
            assert layers[name] == "bridges" or root != "torch", f"core module {name} imports torch"
        if layers[name] == "experiments":
            assert root not in PRESENTATION_ONLY, f"{name} (experiments) imports {root}"


def import_graph():
    """{module: the set of lstmkit modules it imports}, at any level (inside functions too)."""
    graph = {}
    for name, path in source_files():
        targets = {t.split(".")[1] for t, _ in imports(path) if t.startswith("lstmkit.")}
        graph.setdefault(name, set()).update(targets - {name})   # a subpackage's files import each other
    return graph


def circles(graph):
    """Every import circle of graph, each as the list of modules along it (first one repeated at the end)."""
    found, done = [], set()

    def visit(name, path):
        if name in path:
            found.append(path[path.index(name):] + [name])
            return
        if name in done:
            return
        for target in sorted(graph.get(name, ())):
            visit(target, path + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found


def test_no_import_circles():
    graph = import_graph()
    assert {"rnn", "lstm", "gru", "variants", "_fused", "functional"} <= set(graph)
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    # the test above could pass by finding nothing: on a graph with a circle it must name it
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_layers_share_their_pieces_from_below():
    # _fused reads nothing from the layers, and the layers do not import rnn for sigmoid
    graph = import_graph()
    assert graph["_fused"] <= {"functional"}
    assert graph["functional"] == set()
    for name in ("lstm", "gru", "variants"):
        assert "rnn" not in graph[name], name


def test_import_lstmkit_loads_what_the_docstring_says():
    code = "import sys, lstmkit; print(sorted(m for m in sys.modules if m.split('.')[0] in ('lstmkit', 'torch')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = {m.split(".")[1] for m in ast.literal_eval(out.stdout) if m.startswith("lstmkit.")}
    assert not any(m.split(".")[0] == "torch" for m in ast.literal_eval(out.stdout))
    assert sorted(lstmkit.__all__) == sorted(["rnn", "lstm", "gru", "gradcheck"]) and set(lstmkit.__all__) <= loaded
    layers = layer_map()
    assert all(layers[m] == "core" for m in loaded), loaded


def chapter_text():
    """{'NN': every cell's source and text output of chapters/NN_*.ipynb}."""
    found = {}
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        parts = []
        for cell in json.loads(path.read_text())["cells"]:
            parts.append("".join(cell["source"]))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
        found[path.name[:2]] = "\n".join(parts)
    return found


def footers():
    """(qualified name, chapter) for every 'Defined in chapter NN' in a public docstring."""
    found = []
    for info in pkgutil.walk_packages(lstmkit.__path__, "lstmkit."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            members = [(name, obj)]
            if inspect.isclass(obj):
                members += [(f"{name}.{k}", v) for k, v in vars(obj).items() if not k.startswith("_") and callable(v)]
            for qualname, member in members:
                for chapter in re.findall(r"Defined in chapter (\d\d)", inspect.getdoc(member) or ""):
                    found.append((f"{info.name}.{qualname}", chapter))
    return found


FOOTERS = footers()


def test_there_are_footers_to_check():
    assert len(FOOTERS) > 50


@pytest.mark.parametrize("qualname, chapter", FOOTERS, ids=[f"{q}-{c}" for q, c in FOOTERS])
def test_each_footer_points_at_a_chapter_that_names_the_function(qualname, chapter):
    text = chapter_text()
    assert chapter in text, f"{qualname}: there is no chapter {chapter}"
    assert re.search(rf"\b{re.escape(qualname.split('.')[-1])}\b", text[chapter]), \
        f"{qualname} says 'Defined in chapter {chapter}', but that chapter never names it"


@pytest.mark.parametrize("old, new", [("cell", "cell_demos"), ("models", "readout")])
def test_the_old_module_names_still_work_for_one_release(old, new, monkeypatch):
    # lstmkit 0.2's notebooks import lstmkit.cell and lstmkit.models: they keep running, with a warning
    monkeypatch.delitem(sys.modules, f"lstmkit.{old}", raising=False)
    with pytest.warns(DeprecationWarning, match=f"lstmkit.{new}"):
        shim = importlib.import_module(f"lstmkit.{old}")
    module = importlib.import_module(f"lstmkit.{new}")
    names = [n for n in vars(module) if not n.startswith("__")]
    assert names and all(getattr(shim, n) is getattr(module, n) for n in names)
    assert set(names) <= set(dir(shim))
    with pytest.raises(AttributeError):
        _ = shim.no_such_function


# ---- the code a chapter prints is the computation only ------------------------------------------

RENAMED = {"cell": "cell_demos", "models": "readout"}   # the chapters' names of lstmkit 0.2
TAUGHT = ("decay", "cell_demos", "readout", "optim", "charlm", "tasks", "train", "gradcheck", "scan", "minlstm")


def printed_by_chapters():
    """{'module.function'} that a chapter prints: inspect.getsource(m.f) or chapter 03's show(m.f, ...)."""
    found = set()
    for text in chapter_text().values():
        found |= set(re.findall(r"(?:inspect\.getsource|\bshow)\((\w+\.\w+)", text))
    names = (name.split(".") for name in found)
    return {f"{RENAMED.get(m, m)}.{f}" for m, f in names if m in layer_map() or m in RENAMED}   # not np.median


def taught_functions():
    """{'module.function' or 'module.Class.method': function} of every public function of TAUGHT."""
    found = {}
    for module_name in TAUGHT:
        module = importlib.import_module(f"lstmkit.{module_name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                found[f"{module_name}.{name}"] = obj
            elif inspect.isclass(obj):
                found.update({f"{module_name}.{name}.{k}": v for k, v in vars(obj).items()
                              if inspect.isfunction(v) and (k == "__init__" or not k.startswith("_"))
                              and k != "validate"                        # validate's job is the checking
                              and v.__code__.co_filename.endswith(".py")})   # not a dataclass's __init__
    return found


def argument_checks(fn):
    """The argument checks in fn's own body: calls of check_* / _check_* and raised ValueErrors."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn))))
    body = tree.body[0].body
    found = []
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and re.match(r"_?check_", node.func.id):
            found.append(f"{node.func.id}(...)")
        if isinstance(node, ast.Raise) and node.exc is not None:
            name = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(name, ast.Name) and name.id in ("ValueError", "TypeError", "ArgumentTypeError"):
                found.append(f"raise {name.id}")
    return found


def test_the_chapters_print_functions_of_the_taught_modules():
    printed = printed_by_chapters()
    assert len(printed) >= 5, printed   # the test below would pass on nothing
    assert printed <= set(taught_functions()), printed - set(taught_functions())


@pytest.mark.parametrize("name", sorted(taught_functions()))
def test_a_function_a_chapter_may_print_shows_no_argument_check(name):
    # the checks run in @checked(_check_..., copies=False), so inspect.getsource shows only the maths
    assert argument_checks(taught_functions()[name]) == [], name


def test_the_argument_check_reader_finds_checks():
    def body_with_checks(x, lr):
        check_positive_number("lr", lr)  # noqa: F821
        if x is None:
            raise ValueError("x: expected an array, got None")
        return x
    assert argument_checks(body_with_checks) == ["check_positive_number(...)", "raise ValueError"]
