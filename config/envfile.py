"""The settings file that `manage.py` and the servers read beside the environment (the environment wins).

Which file, first match:
1. `ADMISSION_ENV_FILE` when it is set (set it empty to read no file: the tests do);
2. `var/demo.env` in the checkout, written by `make demo` (`python -m config.envfile demo …`);
3. `/etc/admission/admission.env` on a production server (deploy/admission.env.example; the systemd units read
   the same file).

The format is systemd's EnvironmentFile: `KEY=value` lines, `#` comments on their own lines, optional quotes.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import socket
import sys
from pathlib import Path

PRODUCTION_FILE = Path("/etc/admission/admission.env")
DEMO_HEADER = (
    "# The demo's settings, written by `make demo` (python -m config.envfile demo). manage.py reads this file;\n"
    "# a variable set in the environment wins over it. SECRET_KEY was generated once; `rm -rf var` resets the demo.\n"
)


class EnvFileError(Exception):
    pass


def parse(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.replace("_", "").isalnum():
            raise EnvFileError(f"line {number} is not KEY=value: {raw!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def locate(base_dir: Path, environ=os.environ) -> Path | None:
    if "ADMISSION_ENV_FILE" in environ:
        chosen = environ["ADMISSION_ENV_FILE"]
        if not chosen:
            return None
        if not Path(chosen).is_file():
            raise EnvFileError(f"ADMISSION_ENV_FILE={chosen} does not exist.")
        return Path(chosen)
    for candidate in (base_dir / "var" / "demo.env", PRODUCTION_FILE):
        if candidate.is_file():
            return candidate
    return None


def load(base_dir: Path, environ=os.environ) -> tuple[Path | None, dict[str, str]]:
    path = locate(base_dir, environ)
    if path is None:
        return None, {}
    try:
        text = path.read_text(encoding="utf-8")
    except PermissionError:
        raise EnvFileError(
            f"{path} cannot be read by this user: run the command as the service user (sudo -u admission …) or as root."
        ) from None
    try:
        return path, parse(text)
    except EnvFileError as error:
        raise EnvFileError(f"{path}: {error}") from None


def _reachable_address() -> str:
    """This machine's address on its default route (no packet is sent), for a demo bound to every interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def demo_public_url(host: str, port: str | int) -> str:
    """Where the demo is reached: HOST:PORT of runserver, or this machine's address when HOST is a wildcard."""
    host = host.strip("[]") or "0.0.0.0"
    try:
        if ipaddress.ip_address(host).is_unspecified:
            host = _reachable_address()
    except ValueError:
        pass  # a name
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def write_demo(path: Path, *, host: str, port: str | int, public_url: str = "") -> dict[str, str]:
    """Write the demo's settings; SECRET_KEY and any line added by hand are kept from an earlier file."""
    values = parse(path.read_text(encoding="utf-8")) if path.is_file() else {}
    values.update(
        {
            "DJANGO_DEBUG": "1",
            "ADMISSION_VAR_DIR": str(path.resolve().parent),
            "ADMISSION_PUBLIC_URL": public_url or demo_public_url(host, port),
        }
    )
    values.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(DEMO_HEADER + "".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8")
    partial.chmod(0o600)
    os.replace(partial, path)
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.envfile")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="write var/demo.env for `make demo`")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", default="8000")
    demo.add_argument("--public-url", default="", help="the address users type, when it is not http://HOST:PORT")
    demo.add_argument("--file", type=Path, default=Path(__file__).resolve().parent.parent / "var" / "demo.env")
    options = parser.parse_args(argv)
    values = write_demo(options.file, host=options.host, port=options.port, public_url=options.public_url)
    print(f"演示配置：{options.file}（公开地址 {values['ADMISSION_PUBLIC_URL']}）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
