"""`STORELINK_REPLICAS=N make up`: N supervisord programs of every hub service, each on its own HTTP
port, one of each simulator; N = 1 (the default) is the stack without replicas, unchanged."""

from __future__ import annotations

import configparser
from pathlib import Path
from types import ModuleType

import pytest


def _programs(render: ModuleType, state: Path, replicas: int) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    parser.read_string(render.supervisord_conf(render.load(), state, "/venv/bin/python", replicas=replicas))
    return {
        s.removeprefix("program:"): dict(parser[s]) for s in parser.sections() if s.startswith("program:")
    }


def test_two_replicas_are_two_programs_of_every_hub_service_on_their_own_ports(
    render: ModuleType, tmp_path: Path
) -> None:
    services = render.load()
    programs = _programs(render, tmp_path, 2)
    processes = render.local_processes(services, 2)
    for s in services:
        names = [p.name for p in processes if p.service.name == s.name]
        assert names == ([s.name] if s.simulator else [s.name, f"{s.name}-2"]), names
    assert set(programs) == {p.name for p in processes}
    ports = [p.port for p in processes]
    assert len(set(ports)) == len(ports), f"two processes on one port: {sorted(ports)}"
    for p in processes:
        if p.index:
            assert programs[p.name]["environment"] == f'{p.service.env_prefix}HTTP_PORT="{p.port}"'
            assert programs[p.name]["command"] == programs[p.service.name]["command"]
            assert programs[p.name]["stdout_logfile"].endswith(f"/{p.name}.log")


def test_one_replica_is_the_stack_without_replicas(render: ModuleType, tmp_path: Path) -> None:
    services = render.load()
    assert render.supervisord_conf(services, tmp_path, "py", replicas=1) == render.supervisord_conf(
        services, tmp_path, "py"
    )
    assert all("environment" not in p for p in _programs(render, tmp_path, 1).values())
    assert render.local_replicas("") == 1


@pytest.mark.parametrize("raw", ["0", "5", "two", "-1"])
def test_a_replica_count_outside_1_to_4_is_refused_by_name(render: ModuleType, raw: str) -> None:
    with pytest.raises(render.ServiceListError, match="STORELINK_REPLICAS"):
        render.local_replicas(raw)
