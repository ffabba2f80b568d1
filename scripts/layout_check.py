"""Check the layout rules of LAYOUT.md from the code's own imports (stdlib only, nothing is imported or run).

    python scripts/layout_check.py            # the report, exit 1 when a rule is broken
    python scripts/layout_check.py --cycles   # also list every module of each import circle

Rules checked:
  * no import circle between the project's files, function-local imports included (they only hide a circle);
    the one allowed function-local import is a service queueing its own app's task (the task calls the service);
  * no other function-local project import, except in an app's ``AppConfig.ready()`` (apps.py): Django's documented
    place for imports made for what they register (signals, registries), which cannot sit at the top of apps.py
    since the models are not loaded yet when it is imported (AppRegistryNotReady);
  * apps depend one way: demo -> api -> archive -> assessments -> activities -> partnerships -> portal; nothing imports upward;
  * no domain app imports the demo app;
  * no non-migration module above 500 lines.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["portal", "partnerships", "activities", "assessments", "archive", "api", "demo"]  # lowest floor first
FLOOR = {name: index for index, name in enumerate(APPS)}
MAX_LINES = 500


def project_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for app in APPS:
        base = ROOT / app
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an imported dotted name lands in (a package, module, or a name inside one)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]):
    """Yield (target module, line, is_top_level, in_ready) for every project import in the file; ``in_ready``: inside
    a ``ready()`` method of apps.py."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node, top, ready=False):
        for child in ast.iter_child_nodes(node):
            nested = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            in_ready = ready or (
                path.name == "apps.py" and isinstance(child, ast.FunctionDef) and child.name == "ready"
            )
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing-only imports never run
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = resolve(alias.name, modules)
                    if target:
                        yield target, child.lineno, top, ready
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    target = resolve(f"{base}.{alias.name}", modules) or resolve(base, modules)
                    if target:
                        yield target, child.lineno, top, ready
            yield from walk(child, nested, in_ready)

    yield from walk(tree, True)


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        work = [(node, iter(sorted(graph.get(node, ()))))]
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[current] = min(low[current], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[current])
            if low[current] == index[current]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == current:
                        break
                if len(component) > 1:
                    result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def allowed_local(source: str, target: str) -> bool:
    """The one documented function-local import: a service that queues its own app's task (the task calls it)."""
    return ".services" in source and target.endswith(".tasks") and source.split(".")[0] == target.split(".")[0]


def is_parent_package(source: str, target: str) -> bool:
    # `from pkg import x` inside pkg/sub.py loads pkg/__init__.py first; that is not a dependency of the module.
    return source.startswith(target + ".")


@dataclass
class Report:
    modules: dict[str, Path]
    cycles: list[list[str]] = field(default_factory=list)
    upward: list[str] = field(default_factory=list)
    local_imports: list[str] = field(default_factory=list)
    sizes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def oversized(self) -> list[tuple[int, str]]:
        return [(lines, name) for lines, name in self.sizes if lines > MAX_LINES]

    @property
    def broken(self) -> bool:
        return bool(self.cycles or self.upward or self.local_imports or self.oversized)


def measure() -> Report:
    """Read every project module's imports and size (nothing is imported or run)."""
    report = Report(modules=project_modules())
    graph: dict[str, set[str]] = {name: set() for name in report.modules}
    for module, path in sorted(report.modules.items()):
        for target, line, top, in_ready in imports_of(module, path, report.modules):
            if target == module or is_parent_package(module, target):
                continue
            where = f"{path.relative_to(ROOT)}:{line} -> {target}"
            allowed = allowed_local(module, target)
            if top or not allowed:
                graph[module].add(target)
            if not (top or allowed or in_ready):
                report.local_imports.append(where)
            if FLOOR[target.split(".")[0]] > FLOOR[module.split(".")[0]]:
                report.upward.append(where)
    report.cycles = strongly_connected(graph)
    report.sizes = sorted(
        (
            (sum(1 for _ in path.open(encoding="utf-8")), str(path.relative_to(ROOT)))
            for path in report.modules.values()
        ),
        reverse=True,
    )
    return report


def _listing(title: str, rows: list[str], shown: bool) -> None:
    print(f"{title}: {len(rows)}")
    for row in rows if shown else ():
        print("  ", row)


def main(argv: list[str]) -> int:
    report = measure()
    print(f"modules: {len(report.modules)}")
    print(f"file-level import circles (function-local imports included): {len(report.cycles)}")
    for cycle in report.cycles:
        shown = cycle if "--cycles" in argv else cycle[:6] + (["…"] if len(cycle) > 6 else [])
        print("  circle of", len(cycle), ":", " ".join(shown))
    _listing("imports from a lower app to a higher one", report.upward, True)
    _listing("function-local project imports", report.local_imports, "--local" in argv)
    print(f"largest modules (limit {MAX_LINES} lines):")
    for lines, name in report.sizes[:5]:
        print(f"  {lines:5d} {name}")
    return 1 if report.broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
