"""The exercise checks as the class's autograder runs them: on a fresh copy of lstmkit, with the
course's own implementation of the exercise blocked while the student's function runs.

A notebook can change anything in its own kernel. An answer cell could replace
``checks.ch03.lstm_gates`` by a function that prints PASS, put a fake module into ``sys.modules``,
make the reference a check compares with (``lstm.step_forward``) return the answer's own wrong
output, or answer by calling lstmkit's implementation of the very thing the exercise asks for.
So each check cell of the class's source assignment ends in a hidden test (written by
tools/make_classroom.py) that loads this file from lstmkit's files, not through the kernel's
modules (`LOADER` below), and calls `grade`:

- the check comes from a fresh import of lstmkit, read from its files; what the notebook did to the
  modules it had imported does not reach it;
- while the student's function runs, a profiler records each call from the student's code into
  lstmkit; a call to anything other than the primitives (``lstmkit.functional``) and what the
  exercise's own solution may call (``GRADED_MAY_CALL`` in the chapter's check module) fails the
  check, and so does an answer that switches the profiler off.

It does not defend against a notebook that rewrites numpy, Python's builtins or the import system
itself, or that calls lstmkit from another thread: all of that is in the answer cells, which the
instructor reads in Formgrader. This file imports only the standard library at the top, so that it
can be loaded on its own.
"""
import functools
import importlib
import os
import sys
import types

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # the lstmkit folder
ALWAYS_MAY_CALL = ("lstmkit.functional.",)     # sigmoid, tanh and their derivatives

# What a hidden test runs: this file, found by the import system's finders (which never read
# sys.modules), executed as a module of its own. Then `_sealed.grade(...)`.
LOADER = """\
import importlib.util as _util, sys as _sys   # the grader: lstmkit's check, fresh from its files
_spec = next(s for f in _sys.meta_path if hasattr(f, "find_spec") and (s := f.find_spec("lstmkit", None)))
_spec = _util.spec_from_file_location("lstmkit_sealed", _spec.submodule_search_locations[0] + "/checks/_sealed.py")
_sealed = _util.module_from_spec(_spec)
_spec.loader.exec_module(_sealed)"""


class Blocked(AssertionError):
    """The student's function called lstmkit's own implementation of the exercise."""


def hidden_test(chapter, check, args):
    """The source of the hidden test that grades `check` of `chapter` on the notebook's `args` (names)."""
    return "\n".join(["### BEGIN HIDDEN TESTS", LOADER,
                      f"_sealed.grade({chapter!r}, {check!r}, {', '.join(args)})",
                      "### END HIDDEN TESTS"])


def _is_lstmkit(name):
    return name == "lstmkit" or name.startswith("lstmkit.")


def _swap_in(modules):
    """Put `modules` in place of every lstmkit module in sys.modules; return the ones taken out."""
    taken = {name: sys.modules.pop(name) for name in [n for n in sys.modules if _is_lstmkit(n)]}
    sys.modules.update(modules)
    return taken


def _nested(code):
    """code and the code of the comprehensions and functions inside it."""
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            yield from _nested(const)


def _wrappers(modules):
    """The code of @checked's wrapper (and of its comprehensions), and of the functions it wraps."""
    wrappers, wrapped = set(), set()
    for module in modules:
        for value in vars(module).values():
            if callable(getattr(value, "unchecked", None)):
                wrappers.update(_nested(value.__code__))
                wrapped.add(value.unchecked.__code__)
    return wrappers, wrapped


def _ours(code):
    return code.co_filename.startswith(PACKAGE + os.sep)


def _guard(fn, may_call, wrappers, wrapped, found):
    """fn, run under a profiler that appends to `found` each lstmkit function fn enters unless allowed."""
    def profile(frame, event, arg):
        if event != "call" or not _ours(frame.f_code) or frame.f_code in wrappers:
            return
        caller = frame.f_back
        if caller is not None and caller.f_code in wrappers:
            if frame.f_code not in wrapped:          # @checked's own work: the argument check, copies
                return
            while caller is not None and caller.f_code in wrappers:
                caller = caller.f_back
        if caller is None or (_ours(caller.f_code) and caller.f_code is not guarded.__code__):
            return                                    # lstmkit calling itself
        name = f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}"
        if name not in may_call and not name.startswith(ALWAYS_MAY_CALL) and name not in found:
            found.append(name)

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        previous = sys.getprofile()
        sys.setprofile(profile)
        try:
            return fn(*args, **kwargs)
        finally:
            if sys.getprofile() is not profile:
                found.append("sys.setprofile (it switched off the grader's watch)")
            sys.setprofile(previous)
    return guarded


def _fresh(value):
    """The fresh lstmkit's counterpart of a module, function or class of the kernel's lstmkit, else None."""
    if isinstance(value, types.ModuleType):
        return importlib.import_module(value.__name__) if _is_lstmkit(value.__name__) else None
    if not isinstance(value, (types.FunctionType, type)) or not _is_lstmkit(getattr(value, "__module__", "")):
        return None
    found = importlib.import_module(value.__module__)
    for part in value.__qualname__.split("."):
        found = getattr(found, part, None)
    return found


def _point_at_fresh(namespaces):
    """In each namespace (the notebook's), let the names of lstmkit's modules, functions and classes
    mean the fresh copy's; returns what to put back."""
    put_back = []
    for namespace in namespaces:
        for name, value in list(namespace.items()):
            fresh = _fresh(value)
            if fresh is not None and fresh is not value:
                put_back.append((namespace, name, value, fresh))
                namespace[name] = fresh
    return put_back


def grade(chapter, check, *answers):
    """Run check `check` of lstmkit.checks.`chapter`, freshly imported, on the student's `answers`.

    Raises what the check raises, or `Blocked` when an answer called lstmkit's own implementation.
    The kernel's lstmkit modules are put back afterwards, untouched.
    """
    __tracebackhide__ = True
    mine = _swap_in({})
    try:
        module = importlib.import_module(f"lstmkit.checks.{chapter}")
        put_back = _point_at_fresh({id(g): g for a in answers if isinstance(g := getattr(a, "__globals__", None), dict)}
                                   .values())
        fresh = [m for name, m in sys.modules.items() if _is_lstmkit(name)]
        wrappers, wrapped = _wrappers(fresh + list(mine.values()))
        may_call = set(module.GRADED_MAY_CALL.get(check, ()))
        found = []
        guarded = [_guard(a, may_call, wrappers, wrapped, found) if callable(a) else a for a in answers]
        try:
            getattr(module, check)(*guarded)
        finally:
            for namespace, name, value, new in put_back:
                if namespace.get(name) is new:
                    namespace[name] = value
            if found:
                raise Blocked(f"graded: {check} calls {', '.join(found)}, which the exercise asks you to "
                              f"write yourself; it may use numpy"
                              + (f" and {', '.join(sorted(may_call))}" if may_call else ""))
    finally:
        _swap_in(mine)
