"""pyproject.toml is the one source of dependencies; environment.yml must mirror it."""

import tomllib

import yaml

from helpers.paths import PROJECT_ROOT


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in conda and "pip" in conda
    assert sorted(p for p in pip if not p.startswith("-e")) == sorted(project["dependencies"]), (
        "environment.yml's pip list differs from pyproject.toml's dependencies: copy them across"
    )
    assert "-e .[dev]" in pip  # the project itself, with its test extras


def test_python_requirement_admits_the_environment_python():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"].startswith(">=3.11")


def test_binder_installs_the_lock_and_the_kernel():
    requirements = (PROJECT_ROOT / "binder" / "requirements.txt").read_text()
    assert "-r ../requirements.lock" in requirements.splitlines()
    post_build = (PROJECT_ROOT / "binder" / "postBuild").read_text()
    assert "--no-deps -e ." in post_build and "helpers.pipeline.kernel install" in post_build
    assert "urlpath=lab" in (PROJECT_ROOT / "README.md").read_text()
