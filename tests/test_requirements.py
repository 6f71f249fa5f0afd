"""The lock files of requirements/ (written by `make lock`, installed by make with `pip install --require-hashes`)
agree with pyproject.toml: a pin changed in one place and not the other fails here, not on a fresh machine."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Which extras each lock file holds on top of the application's dependencies (Makefile, target `lock`).
LOCKS = {"app.txt": (), "test.txt": ("test", "lint"), "bench.txt": ("bench",)}
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", re.MULTILINE)


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert version, f"pyproject.toml pins every dependency exactly: {requirement}"
        pins[_name(name.split("[")[0])] = version.strip()
    return pins


def _locked(file: str) -> dict[str, tuple[str, int]]:
    text = (ROOT / "requirements" / file).read_text()
    return {_name(m[1]): (m[2], m[3].count("--hash=")) for m in ENTRY.finditer(text)}


@pytest.mark.parametrize("file", sorted(LOCKS))
def test_lock_file_pins_what_pyproject_pins(file):
    wanted = _pins(PYPROJECT["project"]["dependencies"])
    for extra in LOCKS[file]:
        wanted |= _pins(PYPROJECT["project"]["optional-dependencies"][extra])
    locked = _locked(file)
    differing = {name: (version, locked.get(name, ("missing",))[0]) for name, version in wanted.items()}
    differing = {name: pair for name, pair in differing.items() if pair[0] != pair[1]}
    assert differing == {}, f"run `make lock`: pyproject.toml vs requirements/{file}: {differing}"


@pytest.mark.parametrize("file", sorted(LOCKS))
def test_every_locked_package_carries_its_hashes(file):
    locked = _locked(file)
    assert len(locked) > 20
    assert [name for name, (_version, hashes) in locked.items() if hashes == 0] == []


def test_a_package_has_one_version_in_every_lock_file():
    versions: dict[str, set[str]] = {}
    for file in LOCKS:
        for name, (version, _hashes) in _locked(file).items():
            versions.setdefault(name, set()).add(version)
    assert {name: found for name, found in versions.items() if len(found) > 1} == {}


def test_the_build_backend_is_locked_for_the_editable_install():
    """make installs the project with --no-build-isolation: setuptools comes from the lock, hashed like the rest."""
    (requirement,) = PYPROJECT["build-system"]["requires"]
    assert requirement.startswith("setuptools>=")
    needed = tuple(int(part) for part in requirement.removeprefix("setuptools>=").split("."))
    version, hashes = _locked("app.txt")["setuptools"]
    assert tuple(int(part) for part in version.split(".")[: len(needed)]) >= needed and hashes > 0
