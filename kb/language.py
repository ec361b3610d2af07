"""Language detection for pages, passages and questions (py3langid, no download at run time)."""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

#: Languages the detector may answer; restricting it keeps short texts from landing on rare languages.
CANDIDATE_LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pt")


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATE_LANGUAGES))
    return identifier


def detect_language(text: str, default: str = "en", sample_chars: int = 1000) -> tuple[str, float]:
    """The most likely language of `text` (judged on its start) and its probability; `default` with 0.0
    for empty text."""
    if not text.strip():
        return default, 0.0
    # A thousand characters decide the language as well as the whole text, at a fraction of the cost.
    lang, probability = _identifier().classify(text[:sample_chars])
    return lang, float(probability)


def normalise_lang(value: object) -> str | None:
    """A language tag reduced to its primary subtag ("fr-FR" -> "fr"), or None when unusable."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None
