"""Every figure README.md quotes comes from a command (benchmarks/readme_figures.py) and matches it:
a policy added, a resource added or a new test-suite timing fails here until `make readme-figures`."""

from __future__ import annotations

from pathlib import Path

from benchmarks import readme_figures

ROOT = Path(__file__).resolve().parent.parent


def test_readme_figures_match_their_commands() -> None:
    text = (ROOT / "README.md").read_text()
    names = [m.group("name") for m in readme_figures.MARK.finditer(text)]
    # The figures the issue named are all marked: policies, resource counts, the suite's time.
    assert {"policies", "dev-resources", "prod-resources", "tests-seconds", "tests-count"} <= set(names)
    problems = readme_figures.stale(text, readme_figures.current())
    assert problems == [], "run `make readme-figures`:\n" + "\n".join(problems)


def test_a_stale_or_unknown_figure_is_named() -> None:
    text = "a <!--fig:policies-->1<!--/fig--> b <!--fig:nothing-->2<!--/fig-->"
    assert readme_figures.stale(text, {"policies": "43"}) == [
        "policies: README shows 1, the command gives 43",
        "nothing: no command computes this figure (README shows '2')",
    ]
    assert readme_figures.rewrite(text, {"policies": "43"}).startswith("a <!--fig:policies-->43<!--/fig-->")
