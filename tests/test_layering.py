"""The import structure of src/argus, checked statically.

* Every module belongs to a layer of the table in docs/design.md ("Layers") and imports only
  from its own layer or lower ones: the documented dependency graph is the real one.
* No import cycle between modules.
* Imports sit at the top of a module; inside a function only where Django needs them: an app's
  ``ready()`` (which must run after the app registry is loaded). Migrations are not checked.
"""

import ast
import fnmatch
import re
from pathlib import Path

import argus

ROOT = Path(argus.__file__).parent
DESIGN = ROOT.parent.parent / "docs" / "design.md"

#: (module, function) pairs where an import inside the function is what Django asks for.
ALLOWED_FUNCTION_IMPORTS = {("apps", "ready")}


def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = ["argus", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()


def imported_modules(module: str, node) -> list[str]:
    """The argus modules an import statement loads (a package's ``__init__`` counts as the package)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" for alias in node.names]
        names = [name if name in MODULES else base for name in names]
    result = []
    for name in names:
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module and name.startswith("argus"):
            result.append(name)
    return result


def parse(module):
    return ast.parse(MODULES[module].read_text(encoding="utf-8"))


def top_level_imports(tree):
    """Imports executed when the module is imported (module body, including if/try blocks)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try)):
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                continue
            stack.extend(node.body)
            stack.extend(getattr(node, "orelse", []))
            for handler in getattr(node, "handlers", []):
                stack.extend(handler.body)
            stack.extend(getattr(node, "finalbody", []))


def _is_type_checking(test) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def function_imports(tree):
    """(function name, import node) for every import inside a function."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    yield node.name, inner


def test_imports_sit_at_the_top_of_modules():
    misplaced = set()
    for module in MODULES:
        short = module.rsplit(".", 1)[-1]
        for function, node in function_imports(parse(module)):
            if (short, function) not in ALLOWED_FUNCTION_IMPORTS:
                misplaced.add(f"{module}:{node.lineno} in {function}()")
    assert sorted(misplaced) == []


def import_graph() -> dict[str, set[str]]:
    return {
        module: {
            target for node in top_level_imports(parse(module)) for target in imported_modules(module, node)
        }
        for module in MODULES
    }


def test_no_import_cycle_between_modules():
    cycles = strongly_connected_components(import_graph())
    assert [sorted(cycle) for cycle in cycles] == []


def documented_layers() -> list[tuple[int, str]]:
    """(layer, module pattern) rows of the ``layers`` block of docs/design.md, in order."""
    text = DESIGN.read_text(encoding="utf-8")
    block = re.search(r"^```layers\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert block, "docs/design.md has no ```layers block"
    rows = []
    for line in block.group(1).splitlines():
        if line.strip():
            layer, pattern = line.split()[:2]
            rows.append((int(layer), pattern))
    return rows


def matches(module: str, pattern: str) -> bool:
    """``*`` stands for one dotted segment, or for one or more when it ends the pattern."""
    names, parts = module.split("."), pattern.split(".")
    if parts[-1] == "*":
        if len(names) < len(parts):
            return False
        names = [*names[: len(parts) - 1], "*"]
    return len(names) == len(parts) and all(
        fnmatch.fnmatchcase(name, part) for name, part in zip(names, parts, strict=True)
    )


def layer_of(module: str, rows) -> int | None:
    for layer, pattern in rows:
        if matches(module, pattern):
            return layer
    return None


def is_bare_package(module: str) -> bool:
    """A package whose ``__init__`` imports nothing: it only names the folder, it has no layer."""
    path = MODULES[module]
    return path.name == "__init__.py" and not any(
        isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(parse(module))
    )


def test_every_module_has_a_documented_layer():
    rows = documented_layers()
    unplaced = [
        module for module in MODULES if layer_of(module, rows) is None and not is_bare_package(module)
    ]
    assert sorted(unplaced) == []


def test_modules_import_only_from_their_layer_or_below():
    rows = documented_layers()
    upward = [
        f"{module} ({layer_of(module, rows)}) imports {target} ({layer_of(target, rows)})"
        for module, targets in import_graph().items()
        for target in targets
        if (layer_of(target, rows) or 0) > (layer_of(module, rows) or 0)
    ]
    assert sorted(upward) == []


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively; only components of two or more modules are returned."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(component)
    return components
