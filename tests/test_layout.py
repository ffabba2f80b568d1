"""The layout rules of LAYOUT.md hold (issue 12): read from the code itself, so a new import circle, an import from a
lower app to a higher one, a hidden function-local import, a module past 500 lines or a function past complexity 20
fails the suite where it is written."""

import importlib.util
import sys
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
MAX_COMPLEXITY = 20


def _layout_check():
    spec = importlib.util.spec_from_file_location("layout_check", ROOT / "scripts" / "layout_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_no_import_circle_between_files_counting_function_local_imports():
    assert _layout_check().measure().cycles == []


def test_apps_depend_one_way_down_the_floors():
    assert _layout_check().measure().upward == []


def test_imports_are_at_the_top_except_a_service_queueing_its_own_task():
    assert _layout_check().measure().local_imports == []


def test_no_module_is_longer_than_500_lines():
    assert _layout_check().measure().oversized == []


def test_no_function_is_more_complex_than_20():
    too_complex = []
    for path in _layout_check().project_modules().values():
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if block.complexity > MAX_COMPLEXITY:
                too_complex.append(f"{path.relative_to(ROOT)}:{block.lineno} {block.name} ({block.complexity})")
    assert too_complex == []


def test_the_checker_sees_a_circle_hidden_in_a_function(tmp_path, monkeypatch):
    # The rules are only as good as the reader: a circle closed by a function-local import is still a circle.
    layout = _layout_check()
    app = tmp_path / "portal"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "a.py").write_text("from portal import b\n")
    (app / "b.py").write_text("def f():\n    from portal import a\n")
    monkeypatch.setattr(layout, "ROOT", tmp_path)
    report = layout.measure()
    assert report.cycles == [["portal.a", "portal.b"]]
    assert report.local_imports == ["portal/b.py:2 -> portal.a"]
