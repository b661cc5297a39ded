"""Sphinx extension: a notebook page is re-executed when the adjnets code it uses changes.

``make book`` builds incrementally. Sphinx re-reads a page when its source is newer than
its last reading or when one of the page's noted dependencies is (Sphinx compares
modification times, ``BuildEnvironment.get_outdated_files``), and myst-nb, with
``execute_notebooks: force``, executes every page Sphinx reads. So a page is executed
again exactly when it is outdated, and this extension tells Sphinx what a page's
outputs depend on besides its own text:

* the files of the :mod:`adjnets` modules whose code the page runs, found statically
  (:func:`page_dependencies`): the page's code cells are parsed with :mod:`ast`; each
  name the page takes from ``adjnets`` (``from adjnets import MLP``, ``import
  adjnets.calculus.losses`` then ``adjnets.calculus.losses.one_hot``) is followed
  through the re-exports to the module that defines it (``MLP`` to
  ``adjnets/specific/mlp.py``); the page then depends on that module, on the modules it
  imports, transitively, and on the files of the re-exporting ``__init__.py`` it passed
  through. A re-exporting package is *not* followed into everything it imports:
  ``adjnets/__init__.py`` imports every module, and a page that uses ``MLP`` does not
  run the RNN's code. An import inside a function counts when that function is used
  (``traceability``'s ``import adjnets``, which registers every implementation, is not
  a dependency of every module that uses ``implements``);
* the package data a module reads (a string in its code naming a file of its package:
  ``"digits.npz"``, ``"thesis_results.tsv"``), and the repository files a page reads by
  a relative path written in its code (``"benchmarks/results.json"``);
* for the traceability page, which reads every page's box labels and every test's
  thesis markers from the clone: a digest of exactly that data
  (:func:`traceability_digest`). The page is re-read when the digest changes (the
  ``env-get-outdated`` event), not whenever any page or test is edited, so that a
  prose edit re-executes only the edited page.

Outputs of one page never feed another: a ``{glue}`` reference without ``page::`` reads
only the page's own glued values (``tests/test_page_dependencies.py`` checks that no
page uses the cross-page form). The API reference pages need nothing from here: autodoc
notes the files of the modules it documents as their dependencies.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = "adjnets"

TRACEABILITY = f"{PACKAGE}.pages.thesis.traceability"
"""The function whose callers read the clone's pages and tests (see
:func:`traceability_digest`)."""

# A name the code takes from the package: (module, attribute chain).  The chain is empty
# when the module itself is meant (``import adjnets.calculus.losses``).
Ref = tuple[str, tuple[str, ...]]


# ---------------------------------------------------------------------------------------
# Reading code: the package's references of a piece of Python


@dataclass
class _Scope:
    """The package references of some code, and the names of its module it uses."""

    refs: set[Ref] = field(default_factory=set)
    local_names: set[str] = field(default_factory=set)


class _RefCollector(ast.NodeVisitor):
    """Collects the package references of a tree of code.

    ``bindings`` maps a local name to what it stands for: ``("module", m)`` for an
    imported module, ``("attr", m, name)`` for a name imported from module ``m``. It is
    flow-insensitive (a name bound anywhere counts everywhere), which can only add
    references.
    """

    def __init__(self, module: str | None, is_package: bool):
        self.module = module
        self.is_package = is_package
        self.bindings: dict[str, tuple[str, ...]] = {}
        self.scope = _Scope()
        # names bound to an imported package that the code never looks into: an import
        # for its side effects (``import adjnets`` to register every implementation)
        self._package_bindings: dict[str, str] = {}
        self._used_bindings: set[str] = set()

    def _absolute(self, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        if self.module is None:
            return None
        parts = self.module.split(".")
        base = parts if self.is_package else parts[:-1]
        base = base[: len(base) - (node.level - 1)]
        return ".".join([*base, *([node.module] if node.module else [])])

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not _in_package(alias.name):
                continue
            self.scope.refs.add((alias.name, ()))
            if alias.asname:
                self.bindings[alias.asname] = ("module", alias.name)
            else:
                top = alias.name.split(".")[0]
                self.bindings[top] = ("module", top)
                if alias.name == top:
                    self._package_bindings[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = self._absolute(node)
        if module is None or not _in_package(module):
            return
        for alias in node.names:
            if alias.name == "*":
                self.scope.refs.add((module, ()))
                continue
            self.scope.refs.add((module, (alias.name,)))
            self.bindings[alias.asname or alias.name] = ("attr", module, alias.name)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain: list[str] = []
        value: ast.expr = node
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id in self.bindings:
            # the longest chain only: ``adjnets.calculus.losses.one_hot`` uses
            # ``one_hot``, not all that ``adjnets.calculus`` imports
            self._used_bindings.add(value.id)
            self.scope.refs.add(self._ref(value.id, tuple(reversed(chain))))
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.scope.local_names.add(node.id)

    def _ref(self, name: str, chain: tuple[str, ...]) -> Ref:
        binding = self.bindings[name]
        if binding[0] == "module":
            return binding[1], chain
        return binding[1], (binding[2], *chain)

    def finish(self) -> _Scope:
        """The references, once the whole tree is visited."""
        for name, package in self._package_bindings.items():
            if name in self._used_bindings:
                # ``import adjnets`` then ``adjnets.x``: the import statement itself only
                # runs the package's ``__init__``; what is used is ``adjnets.x``
                self.scope.refs.discard((package, ()))
                self.scope.refs.add((package, ("__init__",)))
        return self.scope


def _in_package(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def _collect(
    trees: Iterable[ast.AST], module: str | None = None, is_package: bool = False
) -> _Scope:
    collector = _RefCollector(module, is_package)
    for tree in trees:
        collector.visit(tree)
    return collector.finish()


def _string_constants(trees: Iterable[ast.AST]) -> set[str]:
    return {
        node.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


# ---------------------------------------------------------------------------------------
# The package: its modules, what each defines, imports and reads


@dataclass
class Module:
    """One module of the package, as far as dependencies go."""

    name: str
    path: Path
    is_package: bool
    defined: set[str]
    """Names its top level defines (``def``, ``class``, assignments)."""
    bindings: dict[str, tuple[str, ...]]
    """Names its top level imports from the package (see ``_RefCollector``)."""
    top_level: _Scope
    """What runs when it is imported: its statements outside function bodies."""
    lazy: dict[str, _Scope]
    """For each top-level function or class: the imports of its function bodies, which
    run only when it is used."""
    data: set[Path]
    """Package data files its code names."""


class PackageIndex:
    """The modules of the package in ``root/adjnets`` and their dependencies."""

    def __init__(self, root: Path):
        self.root = root = root.resolve()
        package_dir = root / PACKAGE
        self.modules: dict[str, Module] = {}
        for path in sorted(package_dir.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            self.modules[name] = self._read(name, path, is_package)
        self._closures: dict[tuple[str, str | None], frozenset[Path]] = {}

    def _read(self, name: str, path: Path, is_package: bool) -> Module:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        defined: set[str] = set()
        import_time: list[ast.AST] = []
        call_time: dict[str, list[ast.AST]] = {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
                now, later = _split_definition(node)
                import_time += now
                call_time[node.name] = later
            else:
                defined.update(_assigned_names(node))
                import_time.append(node)
        top_level = _collect(import_time, name, is_package)
        # the names its top level imports, which other modules can import from it
        collector = _RefCollector(name, is_package)
        for node in import_time:
            if isinstance(node, ast.Import | ast.ImportFrom):
                collector.visit(node)
        bindings = collector.bindings
        lazy = {}
        for definition, nodes in call_time.items():
            # function bodies see the module's top-level imports too
            inner = _RefCollector(name, is_package)
            inner.bindings = dict(bindings)
            for node in nodes:
                inner.visit(node)
            lazy[definition] = inner.finish()
        folder = path.parent
        data = {
            candidate
            for text in _string_constants([tree])
            if text and "\n" not in text and len(text) < 200
            for candidate in [folder / text]
            if candidate.suffix not in ("", ".py") and candidate.is_file()
        }
        return Module(name, path, is_package, defined, bindings, top_level, lazy, data)

    # -- resolving names -----------------------------------------------------------------

    def resolve(self, ref: Ref) -> tuple[list[str], str, str | None]:
        """Follow ``ref`` to where it is defined.

        Returns the modules passed through (re-exports, packages), the module that
        defines the name, and the name (``None`` when the module itself is meant or the
        name is not found statically, e.g. a ``__getattr__``: then the whole module).
        """
        module, chain = ref
        while module not in self.modules:
            # no such module (yet): the page fails when executed, and depends on the
            # package that would hold it, so it runs again when the module is added
            module, chain = module.rpartition(".")[0] or PACKAGE, ()
        passed: list[str] = []
        seen: set[tuple[str, tuple[str, ...]]] = set()
        while chain:
            if (module, chain) in seen:  # a cycle of re-exports; stop at the module
                break
            seen.add((module, chain))
            name, rest = chain[0], chain[1:]
            info = self.modules[module]
            if name == "__init__":
                return passed, module, "__init__"
            if name in info.bindings and name not in info.defined:
                binding = info.bindings[name]
                passed.append(module)
                if binding[0] == "module":
                    module, chain = binding[1], rest
                elif binding[1:] == (module, name):
                    # ``from adjnets import calculus`` in adjnets: the submodule
                    module, chain = f"{module}.{name}", rest
                else:
                    module, chain = binding[1], (binding[2], *rest)
                continue
            if name in info.defined:
                return passed, module, name
            if f"{module}.{name}" in self.modules:
                passed.append(module)
                module, chain = f"{module}.{name}", rest
                continue
            return passed, module, None
        return passed, module, None

    def module_of(self, ref: Ref) -> str:
        """The module that defines what ``ref`` names (``obj.__module__`` for a
        function or class)."""
        return self.resolve(ref)[1]

    # -- dependencies --------------------------------------------------------------------

    def dependencies(self, refs: Iterable[Ref]) -> frozenset[Path]:
        """The files the code behind ``refs`` runs or reads."""
        files: set[Path] = set()
        for ref in refs:
            passed, module, name = self.resolve(ref)
            files.update(self.modules[m].path for m in passed)
            files |= self._closure(module, name)
        return frozenset(files)

    def _closure(self, module: str, name: str | None) -> frozenset[Path]:
        key = (module, name)
        if key in self._closures:
            return self._closures[key]
        # provisional value: a cycle of imports ends here; the caller completes it
        self._closures[key] = frozenset()
        info = self.modules[module]
        files = {info.path, *info.data}
        scopes = [info.top_level]
        if name == "__init__":
            scopes = []  # the package's file only (see _RefCollector.finish)
        elif name is None:
            scopes += info.lazy.values()
        elif name in info.lazy:
            scopes += self._lazy_scopes(info, name)
        for scope in scopes:
            for ref in scope.refs:
                passed, target, target_name = self.resolve(ref)
                files.update(self.modules[m].path for m in passed)
                files |= self._closure(target, target_name)
        self._closures[key] = frozenset(files)
        return self._closures[key]

    @staticmethod
    def _lazy_scopes(info: Module, name: str) -> list[_Scope]:
        """The lazy imports of ``name`` and of the module's functions it names,
        transitively (a function that calls a helper of its module runs the helper's
        imports)."""
        todo, done = [name], set()
        while todo:
            current = todo.pop()
            if current in done or current not in info.lazy:
                continue
            done.add(current)
            todo += info.lazy[current].local_names & set(info.lazy)
        return [info.lazy[n] for n in sorted(done)]


def _split_definition(node: ast.stmt) -> tuple[list[ast.AST], list[ast.AST]]:
    """The parts of a top-level ``def`` or ``class`` that run when the module is
    imported (decorators, default values, base classes, class attributes) and those
    that run only when it is called (function bodies)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return [*node.decorator_list, node.args], [*node.body]
    if isinstance(node, ast.ClassDef):
        now: list[ast.AST] = [*node.decorator_list, *node.bases, *node.keywords]
        later: list[ast.AST] = []
        for statement in node.body:
            parts = _split_definition(statement)
            now += parts[0]
            later += parts[1]
        return now, later
    return [node], []


def _assigned_names(node: ast.stmt) -> Iterator[str]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    elif isinstance(node, ast.If | ast.Try | ast.With):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                yield from _assigned_names(child)
        for handler in getattr(node, "handlers", []):
            for child in handler.body:
                yield from _assigned_names(child)
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                yield sub.id


# ---------------------------------------------------------------------------------------
# Pages


def code_cells(page: Path, myst_extensions: Iterable[str] = ()) -> list[str]:
    """The source of the page's code cells, read as myst-nb reads them for the build
    (``myst_extensions``: the book's ``myst_enable_extensions``)."""
    text = page.read_text(encoding="utf-8")
    if page.suffix == ".ipynb":
        import nbformat

        notebook = nbformat.reads(text, as_version=4)
    else:
        from myst_nb.core.read import read_myst_markdown_notebook
        from myst_parser.config.main import MdParserConfig

        config = MdParserConfig(enable_extensions=set(myst_extensions))
        notebook = read_myst_markdown_notebook(text, config, path=page)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _parse_cell(source: str, where: str) -> ast.Module | None:
    if source.lstrip().startswith("%%"):
        return None  # a cell magic: not Python
    # IPython line magics and shell escapes are not Python either
    lines = [
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    ]
    try:
        return ast.parse("\n".join(lines), filename=where)
    except SyntaxError as error:
        # refusing beats under-counting: a page whose imports cannot be read would
        # silently stop being re-executed when its code changes
        raise ValueError(
            f"{where}: cannot parse a code cell to find the page's dependencies: {error}"
        ) from error


@dataclass(frozen=True)
class PageDependencies:
    """What a page's outputs depend on besides its own text."""

    files: frozenset[Path]
    """Package modules and data, and repository files the page reads (absolute)."""
    names: frozenset[str]
    """The qualified names of what the page takes from the package
    (``adjnets.specific.mlp.MLP``; a module's own name when the module is meant)."""

    @property
    def reads_traceability(self) -> bool:
        """Whether the page calls :data:`TRACEABILITY` (see
        :func:`traceability_digest`)."""
        return TRACEABILITY in self.names


def page_dependencies(
    page: Path,
    root: Path,
    index: PackageIndex | None = None,
    myst_extensions: Iterable[str] = (),
) -> PageDependencies:
    """The dependencies of the notebook page ``page`` of the clone at ``root``.

    ``index``: the package's :class:`PackageIndex`, to share between pages;
    ``myst_extensions``: the book's ``myst_enable_extensions`` (see :func:`code_cells`).
    """
    root = root.resolve()
    index = index or PackageIndex(root)
    trees = [
        tree
        for number, source in enumerate(code_cells(page, myst_extensions), 1)
        if (tree := _parse_cell(source, f"{page} (code cell {number})")) is not None
    ]
    refs = _collect(trees).refs
    names = set()
    for ref in refs:
        _, module, name = index.resolve(ref)
        names.add(module if name in (None, "__init__") else f"{module}.{name}")
    files = set(index.dependencies(refs))
    # files the page reads by a relative path written in its code
    for text in _string_constants(trees):
        if not text or "\n" in text or len(text) > 200:
            continue
        for base in (page.parent, root):
            candidate = (base / text).resolve()
            if candidate.is_file() and candidate.is_relative_to(root):
                files.add(candidate)
    return PageDependencies(frozenset(files), frozenset(names))


def traceability_digest(root: Path) -> str:
    """A digest of what the traceability table reads from the clone at ``root``.

    :func:`adjnets.pages.thesis.traceability` combines the registry of implementations
    (the package's code, a file dependency of the page like any other) with the box
    labels of ``root/book`` and the thesis markers of the tests in ``root/tests``. The
    digest is of the table it computes, so it changes when a label or a marker does,
    and not when prose or a test's body does.
    """
    from adjnets.pages.thesis import traceability

    table = [
        [t.result.name, t.pages, t.implementations, t.tests] for t in traceability(root)
    ]
    return hashlib.sha256(json.dumps(table).encode()).hexdigest()


# ---------------------------------------------------------------------------------------
# The Sphinx extension

_DIGESTS = "adjnets_page_digests"  # env attribute: {docname: traceability digest}
_INDEX = "adjnets_package_index"  # app attribute: this build's PackageIndex


def _note_dependencies(app: Any, docname: str, source: list[str]) -> None:
    from myst_nb.core.read import is_myst_markdown_notebook

    env = app.env
    path = Path(env.doc2path(docname))
    if path.suffix != ".ipynb" and not is_myst_markdown_notebook(source[0]):
        return
    root = Path(app.srcdir)
    # the package is read once per build; on the application, not the environment,
    # which is pickled and would carry the index into the next build
    if getattr(app, _INDEX, None) is None:
        setattr(app, _INDEX, PackageIndex(root))
    dependencies = page_dependencies(
        path, root, getattr(app, _INDEX), app.config.myst_enable_extensions
    )
    for file in sorted(dependencies.files):
        # relative to the source folder, as Sphinx resolves them
        env.note_dependency(str(file.relative_to(root.resolve())))
    if dependencies.reads_traceability:
        getattr(env, _DIGESTS)[docname] = traceability_digest(root)


def _traceability_outdated(
    app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    digests: dict[str, str] = getattr(env, _DIGESTS)
    pending = [d for d in digests if d not in added | changed | removed]
    if not pending:
        return []
    current = traceability_digest(Path(app.srcdir))
    return [d for d in pending if digests[d] != current]


def _init_env(app: Any, env: Any, docnames: list[str]) -> None:
    if not hasattr(env, _DIGESTS):
        setattr(env, _DIGESTS, {})


def _builder_inited(app: Any) -> None:
    _init_env(app, app.env, [])


def _purge(app: Any, env: Any, docname: str) -> None:
    getattr(env, _DIGESTS, {}).pop(docname, None)


def _merge(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    for docname in docnames:
        if docname in getattr(other, _DIGESTS, {}):
            getattr(env, _DIGESTS)[docname] = getattr(other, _DIGESTS)[docname]


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _builder_inited)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _traceability_outdated)
    app.connect("source-read", _note_dependencies)
    # env_version: a change of what is recorded re-reads (re-executes) every page once
    return {"version": "1.0", "env_version": 1, "parallel_read_safe": True}
