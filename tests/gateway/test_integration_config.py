"""Integration settings, the TOML file, and which helpdesk messages ask for which work (pure logic)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.integrations.base import HelpdeskMessage, Ignored, Ref
from gateway.integrations.config import Integration, IntegrationFields, IntegrationsFileError, load_file
from gateway.integrations.intake import decide, strip_prefix
from gateway.integrations.jobs import Job, ref_from_conversation_key

SECRET = "s3cret-s3cret-s3cret"


def make(**over) -> Integration:
    data = {
        "name": "cw",
        "kind": "chatwoot",
        "base_url": "https://chat.example.com/",
        "api_token": "tok-9f8e7d",
        "webhook_secret": SECRET,
    } | over
    return Integration.model_validate(data)


def message(**over) -> HelpdeskMessage:
    data = {
        "delivery_id": "d1",
        "message_id": "1",
        "ref": Ref("7", "1"),
        "author": "customer",
        "internal": False,
        "text": "Hola, mi pedido no llegó",
    } | over
    return HelpdeskMessage(**data)


def test_defaults_and_normalisation() -> None:
    i = make(agent_langs={"12": "DE"})
    assert i.base_url == "https://chat.example.com"
    assert i.secrets == [SECRET]
    assert i.agent_language("12", "en") == "de"
    assert i.agent_language("99", "en") == "en"  # the brand's, when the integration sets none
    assert make(agent_lang="fr").agent_language(None, "en") == "fr"


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"webhook_secret": "short"}, "at least 16"),
        ({"webhook_secret": [SECRET, SECRET + "2", SECRET + "3"]}, "two while rotating"),
        ({"api_token": None}, "api_token is required"),
        ({"base_url": "chat.example.com"}, "http://"),
        ({"base_url": "http://"}, "a host name"),  # was stored as 'http:' and broke every later read
        ({"api_token": ""}, "api_token is required"),  # an empty token was stored as none
        ({"agent_lang": "klingon"}, "unknown language"),
        ({"kind": "freshdesk"}, "chatwoot"),
        ({"name": "Bad Name"}, "pattern"),
        ({"webhook_secret": None}, "webhook_secret is required"),
        ({"outbound_prefix": "  "}, "must not be empty"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_invalid_settings_say_what_to_fix(over: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        make(**over)
    assert needle in str(info.value)


def test_generic_needs_no_api_token() -> None:
    assert make(kind="generic", api_token=None).api_token is None


def test_public_view_hides_secrets_and_patch_rotates() -> None:
    i = make()
    public = i.public()
    assert "tok-9f8e7d" not in str(public) and SECRET not in str(public)
    assert public["has_api_token"] and public["webhook_secrets"] == 1
    rotated = i.patched(IntegrationFields.model_validate({"webhook_secret": [SECRET, "n3w-s3cret-n3w-s3cret"]}))
    assert rotated.secrets == [SECRET, "n3w-s3cret-n3w-s3cret"]
    assert rotated.api_token is not None and rotated.api_token.get_secret_value() == "tok-9f8e7d"  # untouched
    with pytest.raises(ValidationError, match="api_token is required"):
        i.patched(IntegrationFields.model_validate({"api_token": None}))


def test_toml_file(tmp_path: Path) -> None:
    f = tmp_path / "integrations.toml"
    f.write_text(
        f"""
[[integration]]
name = "zd"
kind = "zendesk"
base_url = "https://acme.zendesk.com"
api_token = "agent@acme.com/token:abc"
webhook_secret = ["{SECRET}", "{SECRET}-next"]
agent_lang = "de"
"""
    )
    [i] = load_file(f)
    assert (i.name, i.source, i.agent_lang, len(i.secrets)) == ("zd", "file", "de", 2)
    f.write_text('[[integration]]\nname = "x"\nkind = "zammad"\n')
    with pytest.raises(IntegrationsFileError, match=r"integration x: .*base_url is required"):
        load_file(f)
    f.write_text("[integrations]\n")
    with pytest.raises(IntegrationsFileError, match="unknown top-level keys"):
        load_file(f)
    f.write_text("[[integration]\n")
    with pytest.raises(IntegrationsFileError, match=str(f)):
        load_file(f)


def test_decide_inbound_and_outbound() -> None:
    i = make()
    assert decide(i, message()) == ("inbound", "Hola, mi pedido no llegó")
    assert isinstance(decide(make(inbound=False), message()), Ignored)
    note = message(author="agent", internal=True, text="/tr Your order ships today")
    assert decide(i, note) == ("outbound", "Your order ships today")
    # Unmarked agent text, a public message with the prefix, a system message: no work.
    for m in (
        message(author="agent", internal=True, text="internal remark"),
        message(author="agent", internal=False, text="/tr already sent"),
        message(author="system"),
        message(author="agent", internal=True, text="/tr   "),
    ):
        outcome = decide(i, m)
        assert isinstance(outcome, Ignored), m
        assert outcome.reason
    tagged = make(outbound_tag="translate")
    assert decide(tagged, message(author="agent", internal=False, text="Thanks!", tags=("translate",))) == (
        "outbound",
        "Thanks!",
    )


def test_strip_prefix() -> None:
    assert strip_prefix("  /tr  Hello", "/tr ", "text") == "Hello"
    assert strip_prefix("/TR Hello", "/tr ", "text") == "Hello"
    assert strip_prefix("/translate Hello", "/tr ", "text") is None  # a longer word is not the prefix
    assert strip_prefix("Hello /tr", "/tr ", "text") is None
    assert strip_prefix("<p>/tr <b>Hello</b></p>", "/tr ", "html") == "<p><b>Hello</b></p>"
    assert strip_prefix("!t: ok", "!t:", "text") == "ok"


def test_conversation_key_round_trip() -> None:
    job = Job(kind="inbound", integration="cw", conversation_id="42", account_id="3")
    assert job.conversation_key == "cw/3:42"
    assert ref_from_conversation_key(job.conversation_key) == ("cw", Ref("42", "3"))
    zd = Job(kind="reply", integration="zd", conversation_id="1001")
    assert ref_from_conversation_key(zd.conversation_key) == ("zd", Ref("1001"))
    again = Job.from_fields({k.encode(): v.encode() for k, v in job.fields().items()})
    assert again == job


async def test_store_reuses_a_recent_read_only_where_asked_and_never_after_its_own_change(redis_url: str) -> None:
    """Two stores on one Redis stand for two API processes."""
    from redis.asyncio import Redis

    from gateway.integrations.store import IntegrationStore

    redis = Redis.from_url(redis_url)
    here, elsewhere = IntegrationStore(redis), IntegrationStore(redis)
    await here.create(make())
    assert (await here.get("cw", max_age_s=60)).enabled  # read once, now remembered
    await elsewhere.update("cw", IntegrationFields(enabled=False))
    # Within the age this caller allows, another process's change may not be seen yet...
    assert (await here.get("cw", max_age_s=60)).enabled
    # ...a caller that allows none reads it, and so does everyone after this store's own change.
    assert not (await here.get("cw")).enabled
    await here.update("cw", IntegrationFields(enabled=True))
    assert (await here.get("cw", max_age_s=60)).enabled
    await here.delete("cw")
    assert await here.get("cw", max_age_s=60) is None
    await redis.aclose()


async def test_a_worker_whose_lock_lapsed_may_not_post(redis_url: str) -> None:
    """The fence before every post: a slow worker whose job another took over must not post."""
    from types import SimpleNamespace

    from redis.asyncio import Redis

    from gateway.integrations.worker import LOCK, JobTiming, JobWorker, LeaseLost

    redis = Redis.from_url(redis_url)
    timing = JobTiming(reclaim_idle_s=2.0, request_timeout_s=10.0)
    slow, other = (JobWorker(SimpleNamespace(redis=redis), timing, name=n) for n in ("slow", "other"))  # type: ignore[arg-type]
    await redis.set(LOCK + "1-0", "slow", px=2000)
    await slow.fence("1-0")  # still ours: the lock now covers the post's whole timeout
    assert await redis.pttl(LOCK + "1-0") > 10_000
    await redis.set(LOCK + "1-0", "other", px=2000)  # it lapsed, and the other worker took the job
    with pytest.raises(LeaseLost):
        await slow.fence("1-0")
    await other.fence("1-0")
    await redis.aclose()
