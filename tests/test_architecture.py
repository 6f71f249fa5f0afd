"""The house rules of docs/architecture.md, checked on the source: three bands, imports only downward, no circle.

Pages (web/) → process (workflows/) → domain (admission/). Every import counts, also one inside a function:
a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANDS = {"web": 3, "workflows": 2, "admission": 1}
PACKAGES = (*BANDS, "config")
HTTP_MODULES = (
    "django.http",
    "django.shortcuts",
    "django.contrib.messages",
    "django.views",
    "django.template.response",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


MODULES = _modules()


def _resolve(importer: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *(node.module.split(".") if node.module else [])])


def _imports(name: str, path: Path) -> set[str]:
    """Every module of ours (or of Django) that `name` imports, anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, path, node)
            for alias in node.names:
                # `from package import module` imports the module; `from module import name` the module itself.
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return found


GRAPH = {name: {m for m in _imports(name, path) if m in MODULES and m != name} for name, path in MODULES.items()}


def _band(module: str) -> int | None:
    return BANDS.get(module.split(".")[0])


def test_imports_run_one_way_pages_to_process_to_domain():
    upward = [
        f"{importer} → {imported}"
        for importer, imported_modules in GRAPH.items()
        for imported in imported_modules
        if _band(importer) is not None and _band(imported) is not None and _band(imported) > _band(importer)
    ]
    assert upward == []


def test_no_module_reaches_config_but_the_entry_points():
    reaching = [f"{i} → {m}" for i, ms in GRAPH.items() for m in ms if m.startswith("config") and _band(i)]
    assert reaching == []


def test_there_is_no_import_circle_anywhere() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in GRAPH[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    # A package's __init__ re-exporting its submodules, which import their siblings through it, is one module
    # split into files, not a circle between bands or layers.
    circles = [c for c in circles if not _is_one_package_facade(c)]
    assert circles == []


def _is_one_package_facade(component: list[str]) -> bool:
    packages = [m for m in component if (MODULES[m].name == "__init__.py")]
    return len(packages) == 1 and all(m == packages[0] or m.startswith(packages[0] + ".") for m in component)


def test_nothing_below_the_pages_speaks_http():
    speaking = sorted(
        f"{name} → {imported}"
        for name, path in MODULES.items()
        if _band(name) in (1, 2)
        for imported in _imports(name, path)
        if imported.startswith(HTTP_MODULES)
    )
    assert speaking == []


def test_the_checker_sees_the_real_arrows():
    """Guards the guard: known arrows are found, so an empty result above means something."""
    assert "workflows.actions" in GRAPH["web.views.tasks"]
    assert "admission.procedure" in GRAPH["workflows.flows"]
    assert "workflows.flows" in GRAPH["workflows.engine"]
