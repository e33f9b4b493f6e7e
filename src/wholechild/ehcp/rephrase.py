"""Optional rephrasing by a language model, behind one interface.

The default (``NoRephraser``) changes nothing: a draft is extracts and templates. When
``WHOLECHILD_LLM_BASE_URL`` and ``WHOLECHILD_LLM_MODEL`` are set, ``OpenAICompatibleRephraser``
asks a server that speaks the OpenAI chat-completions API (Ollama, vLLM, a llama.cpp server,
Azure OpenAI) to rephrase each sentence for a plan. Whatever it writes records the model, its
version and the SHA-256 of the prompt, and ``draft_plan`` keeps it only if it passes the same
source check as every drafted sentence (else the advice's own words stay).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from typing import Any, Protocol

import httpx

from wholechild.ehcp.model import Generation, PlanSentence
from wholechild.ehcp.spans import tidy
from wholechild.errors import ConfigurationError, UserError
from wholechild.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "LanguageModelError",
    "NoRephraser",
    "OpenAICompatibleRephraser",
    "Rephraser",
    "prompt_messages",
    "rephraser_from_settings",
]

INSTRUCTIONS = (
    "You rewrite one sentence of advice for an Education, Health and Care plan in plain, "
    "specific English, in the third person. Use only facts in the source text: add no number, "
    "frequency, duration, qualification, job title or name that it does not contain, and leave "
    "none out. Reply with the rewritten sentence only."
)


class LanguageModelError(UserError):
    """The configured language model could not be reached or gave no usable answer."""

    exit_code = 4


class Rephraser(Protocol):
    """Anything that may reword a drafted sentence (and says which model did)."""

    def rephrase(self, sentence: PlanSentence) -> PlanSentence: ...


class NoRephraser:
    """The default: the advice's own words."""

    def rephrase(self, sentence: PlanSentence) -> PlanSentence:
        return sentence


def prompt_messages(sentence: PlanSentence) -> list[dict[str, str]]:
    """The chat messages sent for one sentence: the rules, the source spans, the sentence."""
    sources = "\n".join(f"- {tidy(span.text)}" for span in sentence.citations)
    user = f"Source text:\n{sources}\n\nSentence for section {sentence.section}:\n{sentence.text}"
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": user}]


class OpenAICompatibleRephraser:
    """Rephrasing by a server with the OpenAI chat-completions API (temperature 0)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        client: httpx.Client | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.base_url = base_url
        self.client = client or httpx.Client(timeout=timeout_s)
        self.headers = headers

    def rephrase(self, sentence: PlanSentence) -> PlanSentence:
        messages = prompt_messages(sentence)
        prompt = json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()
        body = self._complete(messages)
        text = _answer(body, self.base_url)
        generation = Generation(
            model=self.model,
            model_version=str(body.get("system_fingerprint") or body.get("model") or "unknown"),
            prompt_sha256=hashlib.sha256(prompt).hexdigest(),
            original_text=sentence.text,
        )
        return replace(sentence, text=" ".join(text.split()), generation=generation)

    def _complete(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        url = f"{self.base_url.rstrip('/')}/chat/completions"
        payload = {"model": self.model, "messages": messages, "temperature": 0}
        try:
            response = self.client.post(url, json=payload, headers=self.headers)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise LanguageModelError(
                f"the language model at {self.base_url} did not answer ({type(exc).__name__})",
                fix="check WHOLECHILD_LLM_BASE_URL and that the server is running, or unset it "
                "to draft without a model",
            ) from None
        if not isinstance(body, dict):
            raise _unusable(self.base_url)
        return body


def _answer(body: dict[str, Any], base_url: str) -> str:
    try:
        text = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _unusable(base_url) from None
    if not isinstance(text, str) or not text.strip():
        raise _unusable(base_url)
    return text


def _unusable(base_url: str) -> LanguageModelError:
    return LanguageModelError(
        f"the language model at {base_url} gave an answer without a message",
        fix="use a server with the OpenAI chat-completions API (/v1/chat/completions)",
    )


def rephraser_from_settings(settings: Settings) -> Rephraser:
    """No model unless both WHOLECHILD_LLM_BASE_URL and WHOLECHILD_LLM_MODEL are set."""
    base_url, model = settings.llm_base_url, settings.llm_model
    if base_url and model:
        log.info("rephrasing with model %s", model)
        return OpenAICompatibleRephraser(base_url, model)
    if base_url or model:
        raise ConfigurationError(
            "a language model needs both WHOLECHILD_LLM_BASE_URL and WHOLECHILD_LLM_MODEL",
            fix="set both (e.g. http://127.0.0.1:11434/v1 and llama3.1), or neither",
        )
    return NoRephraser()
