"""Optional rephrasing by an OpenAI-compatible model: recorded, and source-checked like the rest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import httpx
import pytest

from wholechild.ehcp.documents import advice_from_bytes
from wholechild.ehcp.drafting import draft_plan
from wholechild.ehcp.model import Section
from wholechild.ehcp.rephrase import (
    LanguageModelError,
    NoRephraser,
    OpenAICompatibleRephraser,
    prompt_messages,
    rephraser_from_settings,
)
from wholechild.errors import ConfigurationError
from wholechild.settings import Settings

ADVICE = (
    b"Speech and Language Therapy Advice\n"
    b"Needs\nSam understands two key words.\n"
    b"Provision\nSam needs therapy for 30 minutes weekly from a speech and language therapist.\n"
)
BASE = "http://llm.test/v1"


def server(reply: Callable[[str], str], seen: list[dict[str, object]]) -> httpx.Client:
    """A fake chat-completions server: answers with reply(the sentence asked about)."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url == f"{BASE}/chat/completions"
        body = json.loads(request.content)
        seen.append(body)
        sentence = body["messages"][1]["content"].rsplit("\n", 1)[-1]
        return httpx.Response(
            200,
            json={
                "model": "tiny-1",
                "system_fingerprint": "fp_42",
                "choices": [{"message": {"role": "assistant", "content": reply(sentence)}}],
            },
        )

    return httpx.Client(transport=httpx.MockTransport(handle))


def rephraser(
    reply: Callable[[str], str], seen: list[dict[str, object]]
) -> OpenAICompatibleRephraser:
    return OpenAICompatibleRephraser(BASE, "tiny", client=server(reply, seen))


def test_a_faithful_rewording_is_kept_with_the_model_version_and_prompt_hash() -> None:
    seen: list[dict[str, object]] = []
    doc = advice_from_bytes("salt.txt", ADVICE)
    plan = draft_plan([doc], rephraser=rephraser(lambda s: f"In short: {s}", seen))
    [need] = plan.section(Section.B)
    assert need.text == "In short: Sam understands two key words."
    assert need.generation is not None
    assert (need.generation.model, need.generation.model_version) == ("tiny", "fp_42")
    assert need.generation.original_text == "Sam understands two key words."
    original = draft_plan([doc]).section(Section.B)[0]
    prompt = json.dumps(prompt_messages(original), sort_keys=True, ensure_ascii=False)
    assert need.generation.prompt_sha256 == hashlib.sha256(prompt.encode()).hexdigest()
    assert {body["temperature"] for body in seen} == {0}
    assert all(body["model"] == "tiny" for body in seen)


def test_a_rewording_that_adds_a_fact_is_refused_and_the_advice_wording_stays() -> None:
    doc = advice_from_bytes("salt.txt", ADVICE)
    inventive = rephraser(lambda s: s.replace("30 minutes", "45 minutes") + " Dr Patel agrees.", [])
    plan = draft_plan([doc], rephraser=inventive)
    assert plan.sentences == draft_plan([doc]).sentences  # nothing the model wrote survived
    assert all(s.generation is None for s in plan.sentences)


def test_advice_listing_in_section_k_is_never_sent_to_the_model() -> None:
    seen: list[dict[str, object]] = []
    draft_plan([advice_from_bytes("salt.txt", ADVICE)], rephraser=rephraser(str, seen))
    assert len(seen) == 2  # the need and the provision, not the title


FAILURES = [
    (lambda request: httpx.Response(500), "did not answer"),
    (lambda request: httpx.Response(200, content=b"not json"), "did not answer"),
    (lambda request: httpx.Response(200, json={"choices": []}), "without a message"),
    (lambda request: httpx.Response(200, json=[1, 2]), "without a message"),
]


@pytest.mark.parametrize(("handler", "message"), FAILURES)
def test_a_model_that_fails_is_a_user_error_saying_how_to_draft_without_it(
    handler: Callable[[httpx.Request], httpx.Response], message: str
) -> None:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    model = OpenAICompatibleRephraser(BASE, "tiny", client=client)
    with pytest.raises(LanguageModelError, match=message) as raised:
        draft_plan([advice_from_bytes("salt.txt", ADVICE)], rephraser=model)
    assert raised.value.fix


def test_settings_choose_the_rephraser() -> None:
    assert isinstance(rephraser_from_settings(Settings()), NoRephraser)
    chosen = rephraser_from_settings(Settings(llm_base_url=BASE, llm_model="tiny"))
    assert isinstance(chosen, OpenAICompatibleRephraser) and chosen.model == "tiny"
    with pytest.raises(ConfigurationError, match="both"):
        rephraser_from_settings(Settings(llm_model="tiny"))
