"""A process that dies comes back, whichever way the stack runs: compose, Kubernetes and `make up`
say the same thing, all generated from deploy/services.toml by deploy/render.py."""

from __future__ import annotations

import configparser
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _supervisord(render: ModuleType, state: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(render.supervisord_conf(render.load(), state, "/venv/bin/python"))
    return parser


def test_compose_kubernetes_and_make_up_all_restart_a_process_that_dies(
    render: ModuleType, tmp_path: Path
) -> None:
    services = render.load()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    local = _supervisord(render, tmp_path)
    for s in services:
        assert compose[s.name]["restart"] == "unless-stopped", s.name
        program = local[f"program:{s.name}"]
        assert program["autorestart"] == "true", s.name
        assert program["autostart"] == "true", s.name
        assert int(program["startretries"]) >= 10, "a crash loop backs off many times before giving up"
        assert int(program["startsecs"]) >= 5, "a process that dies at once counts as a failed start"
        assert program["stopasgroup"] == program["killasgroup"] == "true"
        assert int(program["stopwaitsecs"]) > render.GRACEFUL_TIMEOUT_SECONDS
        assert program["stdout_logfile"] == str(tmp_path / "local" / "logs" / f"{s.name}.log")
        if s.simulator:
            continue  # never in Kubernetes
        docs = list(
            yaml.safe_load_all(
                (ROOT / "deploy" / "k8s" / "base" / "generated" / f"{s.name}.yaml").read_text()
            )
        )
        (deployment,) = [d for d in docs if d and d["kind"] == "Deployment"]
        assert deployment["spec"]["template"]["spec"]["restartPolicy"] == "Always", s.name


def test_make_up_starts_the_simulators_before_the_hub_and_keeps_secrets_out_of_its_config(
    render: ModuleType, tmp_path: Path
) -> None:
    local = _supervisord(render, tmp_path)
    priority = {s.name: int(local[f"program:{s.name}"]["priority"]) for s in render.load()}
    sims = [p for name, p in priority.items() if name.startswith("sim-")]
    hub = [p for name, p in priority.items() if not name.startswith("sim-")]
    assert max(sims) < min(hub)
    text = render.supervisord_conf(render.load(), tmp_path)
    assert "SECRET" not in text
    assert "TOKEN" not in text
    assert "DATABASE_URL" not in text
    assert local["unix_http_server"]["chmod"] == "0700", "only the user who ran `make up` controls it"


def test_the_control_socket_fits_a_unix_socket_path_for_any_state_dir(render: ModuleType) -> None:
    short = render.supervisor_socket(Path("/srv/state"))
    assert short == Path("/srv/state/local/supervisor.sock")
    deep = Path("/" + "/".join(["a-rather-long-directory-name"] * 6))
    socket = render.supervisor_socket(deep)
    assert len(str(socket)) < 100
    assert socket != render.supervisor_socket(deep / "other"), "two stacks never share a socket"


def test_percent_signs_in_paths_survive_supervisords_expansion(render: ModuleType) -> None:
    parser = configparser.ConfigParser()  # interpolating, as supervisord reads it
    state = Path("/tmp/100%state")
    parser.read_string(render.supervisord_conf(render.load(), state, "/venv/bin/python"))
    assert parser["program:mapper"]["stdout_logfile"] == "/tmp/100%state/local/logs/mapper.log"
