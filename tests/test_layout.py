"""The house itself: one package per stage, imports in the direction of the
flow, each package reached through its face, small functions, each stage
handed only its own settings, no state hidden in a module.

``lint-imports`` (import-linter, contracts in pyproject.toml) checks the
import graph; the rest is read from the source with ``ast``. A later change
that breaks the shape fails here, naming the place."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PIPELINE = REPO / "pipeline"
STAGES = ("config", "ingest", "audio", "tags", "build", "site", "store", "publish", "importer", "scaffold", "tools")
SHARED = ("errors.py", "model.py", "text.py", "progress.py", "__init__.py")
MAX_PARAMETERS = 6


def _sources() -> list[Path]:
    return sorted(PIPELINE.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(REPO)}:{node.lineno}"


def test_the_import_contracts_hold() -> None:
    """Layers in the flow's direction, feeds/ independent, faces only."""
    proc = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_pipeline_is_one_package_per_stage() -> None:
    top = {p.name for p in PIPELINE.iterdir() if p.suffix == ".py"}
    assert top == set(SHARED), f"only the shared modules stay at the top of pipeline/: {sorted(top - set(SHARED))}"
    packages = {p.name for p in PIPELINE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(STAGES)
    for name in STAGES:
        face = _tree(PIPELINE / name / "__init__.py")
        assert ast.get_docstring(face), f"pipeline/{name}/__init__.py says what the stage does"
        if name != "tools":  # tools are leaves: each module is its own face
            assert any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
                       for n in face.body), f"pipeline/{name}/__init__.py lists its public names in __all__"


def test_the_tests_mirror_the_packages() -> None:
    """tests/<stage>/ for every stage package; whole-tool tests at the top."""
    folders = {p.name for p in (REPO / "tests").iterdir() if (p / "__init__.py").is_file()}
    assert set(STAGES) <= folders, f"no tests/<stage>/ for {sorted(set(STAGES) - folders)}"


def test_no_function_takes_more_than_six_parameters() -> None:
    over = []
    for path in _sources():
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs) if x.arg not in ("self", "cls")]
                count = len(names) + bool(a.vararg) + bool(a.kwarg)
                if count > MAX_PARAMETERS:
                    over.append(f"{_where(path, node)} {node.name}() takes {count}")
    assert not over, "group the parameters in a frozen dataclass:\n" + "\n".join(over)


def test_only_publish_config_and_the_cli_see_the_whole_settings() -> None:
    seen = []
    for path in _sources():
        rel = path.relative_to(PIPELINE)
        if rel.parts[0] in ("publish", "config") or rel.name == "model.py":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Name) and node.id == "Settings":
                seen.append(_where(path, node))
            elif isinstance(node, ast.alias) and node.name == "Settings":
                seen.append(f"{path.relative_to(REPO)} imports Settings")
    assert not seen, "hand the stage its own section (IngestSettings, BuildSettings, SiteSettings...):\n" + \
        "\n".join(seen)


def _function_imports(tree: ast.Module):
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in (
                        "pipeline", "feeds")):
                    yield node
                elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in ("pipeline", "feeds")
                                                          for a in node.names):
                    yield node


def test_no_castline_module_is_imported_inside_a_function() -> None:
    """Imports of castline's own modules stand at the top, where the import
    graph (and lint-imports) sees them; a hidden one dodges a cycle. (The
    CLI is the exception: each command imports the face it calls, so
    ``castline --help`` loads no stage.)"""
    hidden = [_where(path, node) for path in _sources() for node in _function_imports(_tree(path))]
    assert not hidden, "\n".join(hidden)


def test_no_state_is_kept_in_a_module() -> None:
    """No module-level caches, registries or exit hooks: a stage is handed
    what it needs, so two publishes in one process never share state."""
    found = []
    for path in _sources():
        tree = _tree(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found.append(f"{_where(path, node)} global {', '.join(node.names)}")
            elif isinstance(node, ast.Attribute) and node.attr == "register" and getattr(node.value, "id", "") == "atexit":
                found.append(f"{_where(path, node)} atexit.register")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for deco in node.decorator_list:
                    name = ast.unparse(deco)
                    if "lru_cache" in name or name in ("cache", "functools.cache"):
                        found.append(f"{_where(path, node)} @{name} on {node.name}()")
        for node in tree.body:  # module level: an instance made at import time (a memo, a registry, a set)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
                func = ast.unparse(node.value.func)
                if func in ("set", "dict", "list") or (func[:1].isupper() and func not in _VALUE_TYPES):
                    found.append(f"{_where(path, node)} {ast.unparse(node)[:60]}")
    assert not found, "\n".join(found)


_VALUE_TYPES = ("Path", "NotifySettings", "Format", "frozenset", "TypeVar", "NewType", "Template")
