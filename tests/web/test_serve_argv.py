"""`keel serve` (issue #19): what it hands gunicorn. Two of them run side by side behind the proxy
(docs/deploy.md, tests/deploy/run.sh)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.management import call_command


def _argv(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    seen: list[list[str]] = []

    def fake_execv(path: str, argv: list[str]) -> Any:
        seen.append(argv)

    monkeypatch.setattr(os, "execv", fake_execv)
    call_command("serve", *args)
    return seen[0]


def test_serve_binds_the_given_port(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _argv(monkeypatch, "--port", "8002")
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8002"


def test_two_serve_processes_do_not_share_a_control_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "--no-control-socket" in _argv(monkeypatch, "--port", "8001")


def test_serve_trusts_forwarded_headers_from_the_local_proxy_only(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _argv(monkeypatch)
    assert argv[argv.index("--forwarded-allow-ips") + 1] == "127.0.0.1,::1"


def test_serve_trusts_the_proxies_keel_trusts_for_the_client_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 21y: gunicorn's --forwarded-allow-ips and keel.web.client_address read one setting."""
    from django.test import override_settings

    with override_settings(KEEL_TRUSTED_PROXIES=["10.0.0.2"]):
        argv = _argv(monkeypatch)
    assert argv[argv.index("--forwarded-allow-ips") + 1] == "10.0.0.2"


def test_serve_loads_and_warms_the_app_once_before_forking_workers(monkeypatch: Any) -> None:
    assert "--preload" in _argv(monkeypatch, "--port", "8001")
