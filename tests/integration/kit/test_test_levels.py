"""The test levels hold: a test that needs Kafka says so (`kafka` marker), or the run stops; a test
under tests/unit that needs more than the unit level gives stops the collection too.

`make test-unit` (`tests/unit`) relies on it: an unmarked broker user would start a broker in the
fast loop, or fail there for want of one.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from storelink_kit.testing.kafka_broker import NO_BROKER_ENV

pytestmark = pytest.mark.slow  # runs pytest and kafka.sh inside the test

ROOT = Path(__file__).resolve().parents[3]


def _project(pytester: pytest.Pytester, test_file: str) -> None:
    """A small project that loads the kit's plugin, like tests/conftest.py."""
    pytester.makeconftest('pytest_plugins = ["storelink_kit.testing.pytest_plugin"]\n')
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_levels_sample=test_file)


def test_an_unmarked_test_using_the_broker_fixture_stops_the_run(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        """
        def test_through_a_fixture(topic_names):
            pass

        def test_pure():
            pass
        """,
    )
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*1 test(s) use the Kafka broker without the `kafka` marker*",
            "*test_levels_sample.py::test_through_a_fixture*",
        ]
    )


def test_a_marked_broker_test_is_collected_and_left_out_of_the_unit_level(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        """
        import pytest

        @pytest.mark.kafka
        def test_through_a_fixture(topic_names):
            pass

        def test_pure():
            pass
        """,
    )
    result = pytester.runpytest("-m", "not kafka", "-q", "-p", "no:randomly")
    result.assert_outcomes(passed=1, deselected=1)


def test_an_unmarked_test_that_starts_a_broker_itself_fails(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        """
        from storelink_kit.testing.kafka_broker import LocalBroker

        def test_starts_a_broker():
            LocalBroker().start()
        """,
    )
    result = pytester.runpytest("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_starts_a_broker starts a Kafka broker but is not marked `kafka`*"])


def test_kafka_sh_refuses_to_start_for_an_unmarked_test(tmp_path: Path) -> None:
    """`make up` and up.sh start the broker through kafka.sh: the same rule holds there."""
    env = {
        **os.environ,
        NO_BROKER_ENV: "tests/x.py::test_y",
        "KAFKA_DATA_DIR": str(tmp_path / "kafka"),
        "KAFKA_START_TIMEOUT": "1",
    }
    kafka_sh = ROOT / "deploy" / "local" / "kafka.sh"
    try:
        result = subprocess.run(
            ["bash", str(kafka_sh), "start"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        subprocess.run(["bash", str(kafka_sh), "stop"], env=env, capture_output=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "tests/x.py::test_y starts a Kafka broker but is not marked kafka" in result.stderr
    assert not (tmp_path / "kafka" / "kafka.pid").exists()


def _levels_project(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    """A small project with this repository's own tests/conftest.py (the folder rules)."""
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_unit_test_that_needs_more_than_its_level_stops_the_collection(pytester: pytest.Pytester) -> None:
    _levels_project(
        pytester,
        {
            "tests/unit/test_sample.py": "import pytest\n\n@pytest.mark.slow\ndef test_heavy():\n    pass\n",
            "tests/unit/test_fine.py": "def test_light():\n    pass\n",
        },
    )
    result = pytester.runpytest("--collect-only", "-q", "tests")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*tests in the wrong level*",
            "*tests/unit/test_sample.py::test_heavy is marked slow: it belongs in tests/integration*",
        ]
    )
    assert "test_light" not in result.stderr.str()


def test_every_integration_test_is_left_out_of_a_fast_selection(pytester: pytest.Pytester) -> None:
    _levels_project(
        pytester,
        {
            "tests/integration/test_sample.py": "def test_with_a_process():\n    pass\n",
            "tests/unit/test_fine.py": "def test_light():\n    pass\n",
        },
    )
    result = pytester.runpytest("-q", "-m", "not kafka and not slow", "tests")
    result.assert_outcomes(passed=1, deselected=1)
