"""``tests/mutation/scores.py``: mutants counted by kind, and recorded results that serve
while the module's source is unchanged."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[1] / "mutation" / "scores.py"
PACKAGE = "services.demo.domain"


def scores_in(root: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_scores", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", root)
    monkeypatch.setattr(module, "RECORDS", root / "tests" / "mutation" / "results")
    equivalent = root / "EQUIVALENT.md"
    equivalent.write_text(f"| `{PACKAGE}.rules.x_f__mutmut_3` | same behaviour |\n")
    monkeypatch.setattr(module, "EQUIVALENT", equivalent)
    return module


def a_run(root: Path, codes: dict[str, int | None]) -> None:
    source = root / "services" / "demo" / "domain" / "rules.py"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("def f():\n    return 1\n")
    meta = root / "mutants" / "services" / "demo" / "domain" / "rules.py.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    names = {f"{PACKAGE}.rules.x_f__mutmut_{n}": code for n, code in codes.items()}
    meta.write_text(json.dumps({"exit_code_by_key": names}))


def test_killed_survived_and_equivalent_mutants_make_the_score(tmp_path, monkeypatch, capsys):
    scores = scores_in(tmp_path, monkeypatch)
    a_run(tmp_path, {"1": 1, "2": 1, "3": 0, "4": 0})
    assert scores.main([PACKAGE]) == 1  # 2 of 3 non-equivalent killed: under the bar
    out = capsys.readouterr().out
    assert "66.7% killed (2 of 3 non-equivalent; 1 equivalent; 1 survived" in out
    assert "survived: services.demo.domain.rules.x_f__mutmut_4" in out


def test_recorded_results_serve_until_the_source_changes(tmp_path, monkeypatch, capsys):
    scores = scores_in(tmp_path, monkeypatch)
    a_run(tmp_path, {"1": 1, "2": 1, "3": 0})
    assert scores.main(["--record", PACKAGE]) == 0
    record = json.loads((tmp_path / "tests/mutation/results" / f"{PACKAGE}.json").read_text())
    assert set(record["modules"]) == {f"{PACKAGE}.rules"}
    capsys.readouterr()
    for meta in (tmp_path / "mutants").rglob("*.meta"):
        meta.unlink()  # a fresh checkout: no mutmut run
    assert scores.main([PACKAGE]) == 0
    assert "100.0% killed (2 of 2 non-equivalent" in capsys.readouterr().out
    (tmp_path / "services/demo/domain/rules.py").write_text("def f():\n    return 2\n")
    assert scores.main([PACKAGE]) == 1  # the source changed: nothing recorded counts
    assert "0 of 2 non-equivalent; 1 equivalent; 0 survived; 0 without tests; 2 not run" in (
        capsys.readouterr().out
    )


def test_a_new_run_of_a_module_takes_the_place_of_its_record(tmp_path, monkeypatch, capsys):
    scores = scores_in(tmp_path, monkeypatch)
    a_run(tmp_path, {"1": 1, "2": 1, "3": 0})
    scores.main(["--record", PACKAGE])
    a_run(tmp_path, {"1": 1, "2": 0, "3": 0})
    capsys.readouterr()
    assert scores.main([PACKAGE]) == 1
    assert "50.0% killed (1 of 2 non-equivalent" in capsys.readouterr().out
