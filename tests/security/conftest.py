"""Security suite fixtures: an attempt counter reported at the end of the run (also across xdist workers)."""

import pytest

ATTEMPTS = pytest.StashKey[dict[str, int]]()


def _counter(config: pytest.Config) -> dict[str, int]:
    return config.stash.setdefault(ATTEMPTS, {"attempts": 0})


@pytest.fixture
def attack_counter(request: pytest.FixtureRequest) -> dict[str, int]:
    """A dict whose "attempts" the isolation tests increase by one per request they send as an attacker."""
    return _counter(request.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the count to the controller
        workeroutput["isolation_attempts"] = _counter(session.config)["attempts"]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    _counter(node.config)["attempts"] += getattr(node, "workeroutput", {}).get("isolation_attempts", 0)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    attempts = _counter(config)["attempts"]
    if attempts:
        terminalreporter.write_sep("-", "tenant isolation attack suite")
        terminalreporter.write_line(f"cross-tenant attempts made: {attempts}")
