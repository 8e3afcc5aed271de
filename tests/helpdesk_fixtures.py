"""Pytest fixtures for the fake helpdesks. Import the ones a test module uses, by name:

    from tests.helpdesk_fixtures import fake_helpdesks_fixture, helpdesks_fixture  # noqa: F401

(The functions carry a `_fixture` suffix and register under the plain name, so test arguments
named `helpdesks` do not shadow an import.)

- `fake_helpdesks` (session): one running FakeHelpdesk per kind, each with token FAKE_TOKENS[kind].
- `helpdesks` (function): the same servers, reset for the test (no messages, requests or faults,
  listening again if a previous test stopped one).
- `new_fake_helpdesk` (function): a factory for a private FakeHelpdesk(kind, token=...) that is
  stopped after the test, for tests that need their own port or token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.helpdesks import FakeHelpdesk

FAKE_TOKENS = {
    "chatwoot": "cw-token-123",
    "zammad": "zm-token-456",
    "zendesk": "agent@example.com/token:zd-token-789",  # the API-token form: basic auth
    "generic": "generic-token-000",
}


@pytest.fixture(scope="session", name="fake_helpdesks")
def fake_helpdesks_fixture() -> Iterator[dict[str, FakeHelpdesk]]:
    desks = {kind: FakeHelpdesk(kind, token=token).start() for kind, token in FAKE_TOKENS.items()}
    yield desks
    for desk in desks.values():
        desk.stop()


@pytest.fixture(name="helpdesks")
def helpdesks_fixture(fake_helpdesks: dict[str, FakeHelpdesk]) -> dict[str, FakeHelpdesk]:
    for desk in fake_helpdesks.values():
        desk.reset()
    return fake_helpdesks


@pytest.fixture(name="new_fake_helpdesk")
def new_fake_helpdesk_fixture() -> Iterator[Callable[..., FakeHelpdesk]]:
    made: list[FakeHelpdesk] = []

    def make(kind: str, *, token: str = "test-token") -> FakeHelpdesk:
        made.append(FakeHelpdesk(kind, token=token).start())
        return made[-1]

    yield make
    for desk in made:
        desk.stop()
