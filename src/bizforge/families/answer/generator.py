"""An optional generated answer from a language model the company runs itself.

``--generator URL`` names an OpenAI-compatible server (vLLM, Ollama,
llama.cpp's server, ...): :func:`generate` posts the question and the top
retrieved passages, numbered, to ``URL/v1/chat/completions`` and asks for an
answer that cites them as ``[1]``, ``[2]``. Nothing is ever sent anywhere
unless a URL was given: the default is no generator at all, and the model's
retrieved answer is the answer.

A generator that is slow, down or answers nonsense never fails a request:
:func:`answer` falls back to the retrieved answer and says why in ``warning``.

``URL`` may be the server's root (``http://llm.local:8000``), its ``/v1`` or the
full ``/v1/chat/completions``. The model name is ``generator_model`` or, when
not given, the first one the server lists at ``/v1/models``. A bearer key is
read from the environment variable ``BIZFORGE_GENERATOR_KEY`` when set (never
stored with the model).

>>> answer("How do I pay?", [{"text": "By card.", "answer": "By card."}], None)["generated"]
False
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from bizforge.errors import BizforgeError, UsageError

__all__ = ["GeneratorError", "GeneratorSettings", "answer", "chat_url", "check_url",
           "finish_answer", "generate", "settings_of"]

TIMEOUT_S = 20.0
MAX_RESPONSE_BYTES = 1024 * 1024
KEY_ENV = "BIZFORGE_GENERATOR_KEY"
_CITATION = re.compile(r"\[(\d{1,2})\]")

_PROMPTS = {
    "en": ("You answer customer questions for a company. Use only the numbered passages "
           "below. Cite every passage you use as [1], [2], ... right after the sentence it "
           "supports. If the passages do not answer the question, say that you do not know "
           "and that a colleague will help. Answer briefly, in the language of the question."),
    "zh": ("你是公司的客服助手。只能根据下面编号的资料回答客户的问题，并在用到的句子后面用 [1]、[2] "
           "标注出处。如果资料中没有答案，请说明不知道、会由同事跟进。回答要简洁，使用提问的语言。"),
}


class GeneratorError(BizforgeError, RuntimeError):
    """The generator did not give a usable answer (down, slow, an error, no text)."""


@dataclass(frozen=True)
class GeneratorSettings:
    """Where and how to ask: stored in the model's ``model.json`` (no key in it)."""

    url: str
    model: str | None = None
    timeout: float = TIMEOUT_S
    max_tokens: int = 400
    temperature: float = 0.1
    passages: int = 3

    @classmethod
    def from_info(cls, info: dict[str, Any] | None) -> GeneratorSettings | None:
        """The settings saved as ``info["generator"]`` (None: no generator)."""
        if not info or not info.get("url"):
            return None
        known = {k: info[k] for k in ("url", "model", "timeout", "max_tokens", "temperature",
                                      "passages") if k in info}
        return cls(**known)

    def to_info(self) -> dict[str, Any]:
        return {"url": self.url, "model": self.model, "timeout": self.timeout,
                "max_tokens": self.max_tokens, "temperature": self.temperature,
                "passages": self.passages}


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL, else a UsageError (called before any training)."""
    if not re.match(r"^https?://[^\s/]+", str(url or "")):
        raise UsageError(f"--generator {url!r} is not an http(s) URL.",
                         fix="name your own OpenAI-compatible server, e.g. --generator "
                             "http://localhost:8000 (vLLM) or http://localhost:11434 (Ollama).")
    return str(url).rstrip("/")


def chat_url(url: str) -> str:
    """The ``/v1/chat/completions`` address of a server named by its root, /v1 or itself.

    >>> chat_url("http://llm:8000"), chat_url("http://llm:8000/v1/")
    ('http://llm:8000/v1/chat/completions', 'http://llm:8000/v1/chat/completions')
    """
    url = check_url(url)
    if url.endswith("/chat/completions"):
        return url
    return (url if url.endswith("/v1") else url + "/v1") + "/chat/completions"


def _request(url: str, body: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if os.environ.get(KEY_ENV):
        headers["Authorization"] = f"Bearer {os.environ[KEY_ENV]}"
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method="GET" if body is None else "POST")
    try:
        # http(s) only (check_url), so no file:// or other schemes reach urlopen
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise GeneratorError(f"the generator at {url} answered HTTP {exc.code}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise GeneratorError(f"the generator at {url} did not answer ({reason}).") from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise GeneratorError(f"the generator at {url} sent more than 1 MB.")
    try:
        return json.loads(raw)
    except ValueError:
        raise GeneratorError(f"the generator at {url} did not answer JSON.") from None


def _model_name(settings: GeneratorSettings) -> str:
    if settings.model:
        return settings.model
    root = chat_url(settings.url).removesuffix("/chat/completions")
    listed = _request(root + "/models", None, settings.timeout).get("data") or []
    if not listed or not isinstance(listed[0], dict) or not listed[0].get("id"):
        raise GeneratorError(f"the generator at {root} lists no model; name one with "
                             "--generator-model.")
    return str(listed[0]["id"])


def _numbered(passages: list[dict[str, Any]]) -> str:
    blocks = []
    for n, p in enumerate(passages, start=1):
        title = " — ".join(str(x) for x in (p.get("source"), p.get("heading")) if x)
        text = p.get("answer") or p.get("text") or ""
        blocks.append(f"[{n}]{' ' + title if title else ''}\n{text}")
    return "\n\n".join(blocks)


def generate(question: str, passages: list[dict[str, Any]], settings: GeneratorSettings,
             lang: str = "en") -> dict[str, Any]:
    """``{"text", "citations", "model"}`` from the generator, or :class:`GeneratorError`.

    ``citations`` are the 1-based numbers of the passages the text cites (numbers
    outside the passages given are dropped from the list, not from the text).
    """
    passages = passages[: settings.passages]
    model = _model_name(settings)
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": _PROMPTS.get(lang, _PROMPTS["en"])},
            {"role": "user", "content": f"{_numbered(passages)}\n\nQuestion: {question}"},
        ],
        "max_tokens": settings.max_tokens,
        "temperature": settings.temperature,
        "stream": False,
    }
    reply = _request(chat_url(settings.url), body, settings.timeout)
    try:
        text = str(reply["choices"][0]["message"]["content"] or "").strip()
    except (KeyError, IndexError, TypeError):
        raise GeneratorError("the generator's answer has no choices[0].message.content.") \
            from None
    if not text:
        raise GeneratorError("the generator answered with empty text.")
    cited = sorted({int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(passages)})
    return {"text": text, "citations": cited, "model": model}


def answer(question: str, passages: list[dict[str, Any]], settings: GeneratorSettings | None,
           lang: str = "en") -> dict[str, Any]:
    """The generated answer, or the top retrieved one with a ``warning`` saying why.

    Returns ``{"answer", "generated", "citations", "warning"}``; ``citations`` are
    the cited passages' ``entry_id`` s (the top passage's for a retrieved answer).
    """
    top = passages[0] if passages else {}
    fallback = {"answer": top.get("answer") or top.get("text") or "", "generated": False,
                "citations": [top["entry_id"]] if top.get("entry_id") is not None else [],
                "warning": None}
    if settings is None or not passages:
        return fallback
    try:
        made = generate(question, passages, settings, lang)
    except GeneratorError as exc:
        return {**fallback, "warning": f"{exc.message} The retrieved answer is given instead."}
    return {"answer": made["text"], "generated": True,
            "citations": [passages[n - 1].get("entry_id") for n in made["citations"]],
            "warning": None}


def settings_of(info: dict[str, Any] | None) -> GeneratorSettings | None:
    """The generator a model was trained with (``--generator``, ``--generator-model`` in
    ``info["options"]``), or None."""
    options = (info or {}).get("options") or {}
    url = options.get("generator")
    return GeneratorSettings(url=url, model=options.get("generator_model")) if url else None


def _passages(predictor: Any, ids: list[str]) -> list[dict[str, Any]]:
    positions = getattr(predictor, "_entry_positions", None)
    frame = predictor.kb.frame
    if positions is None:
        positions = {str(e): i for i, e in enumerate(frame["entry_id"])}
        predictor._entry_positions = positions
    rows = [frame.iloc[positions[i]] for i in ids if i in positions]
    return [{"entry_id": r["entry_id"], "text": r["text"], "answer": r["answer"],
             "source": r["source"], "heading": r["heading"]} for r in rows]


def finish_answer(predictor: Any, request: Any, result: dict[str, Any]) -> dict[str, Any]:
    """The answer action's second step (run off the model's thread): with a generator and
    an answered question (not a hand-over) unless the request says ``generate: false``,
    the generated answer citing the top passages; on failure the retrieved answer and a
    ``warning``. Adds ``generated``, ``citations`` and ``warning`` either way."""
    out = {**result, "generated": False, "citations": [], "warning": None}
    settings = settings_of(getattr(predictor, "info", None))
    if settings is None or getattr(request, "generate", None) is False or out.get("handover"):
        return out
    ids = [out["entry_id"], *(c["entry_id"] for c in out.get("candidates") or [])]
    made = answer(out["question"], _passages(predictor, ids), settings,
                  lang=getattr(predictor, "lang", "en"))
    if made["generated"]:
        out.update(answer=made["answer"], generated=True, citations=made["citations"],
                   highlight=None)
    else:
        out["warning"] = made["warning"]
    return out
