"""`tonegate models pull`: a Marian/OPUS-MT, NLLB or M2M100 model, ready to serve in one step.

From a local folder (offline) or a Hugging Face hub id (only when the host is online: the hub's
revision is resolved first and pinned, in the download and in the engines file's comment), then
converted to CTranslate2 int8, loaded and asked to translate a sentence, and only then declared
in the engines file (written whole and validated, or not at all).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from models.base import LanguagePair
from models.config import EngineSpec, parse_engine_specs
from models.errors import ConfigError, ModelError

SAMPLE = "Hello, your order has been shipped and will arrive tomorrow."
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# What a translation model's folder needs; the rest of a hub repo (other frameworks' weights) is skipped.
_FILES = ["*.json", "*.safetensors", "*.bin", "*.model", "*.spm", "*.txt", "*.tiktoken", "source.spm", "target.spm"]


@dataclass(frozen=True, slots=True)
class Pulled:
    name: str
    folder: Path  # the CTranslate2 model
    source: str  # the local folder or hub id it came from
    revision: str | None  # the hub commit, None for a local folder
    pairs: tuple[str, ...]
    sample: tuple[str, str]  # (pair, what the model made of SAMPLE)


def engine_name(model: str) -> str:
    """A valid engine name from a folder or hub id: "Helsinki-NLP/opus-mt-en-de" → "opus-mt-en-de"."""
    base = Path(model.rstrip("/")).name or "model"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", base).strip("-.") or "model"


def fetch(model: str, revision: str | None, cache_dir: Path | None = None) -> tuple[Path, str | None]:
    """The model's local folder, downloading a hub id at a pinned revision; ConfigError says what to do."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve(), None
    if path.exists() or model.startswith((".", "/", "~")) or not _HUB_ID.match(model):
        raise ConfigError(f"{model!r} is neither a model folder nor a hub id such as 'Helsinki-NLP/opus-mt-en-de'")
    try:
        from huggingface_hub import HfApi, snapshot_download
        from huggingface_hub.errors import (
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError as exc:
        raise ConfigError(
            f"fetching from the hub needs the neural extras ({exc.name}): pip install -e '.[neural]'"
        ) from None
    offline_hint = (
        f"on a machine with internet access run `huggingface-cli download {model} --local-dir DIR` "
        f"(or `tonegate models pull {model}` there), copy DIR here and run `tonegate models pull DIR`"
    )
    try:
        info = HfApi().model_info(model, revision=revision)
        pinned = info.sha or revision
        folder = snapshot_download(model, revision=pinned, allow_patterns=_FILES, cache_dir=cache_dir)
    except OfflineModeIsEnabled:
        raise ConfigError(
            f"cannot fetch {model}: the hub is switched off here (HF_HUB_OFFLINE); {offline_hint}"
        ) from None
    except RevisionNotFoundError:
        raise ConfigError(f"the hub has {model} but no revision {revision!r}") from None
    except RepositoryNotFoundError:
        raise ConfigError(f"the hub has no model {model!r} (or it is private: set HF_TOKEN)") from None
    except OSError as exc:  # requests' ConnectionError and timeouts are OSErrors
        raise ConfigError(
            f"cannot reach the Hugging Face hub for {model} ({type(exc).__name__}); {offline_hint}"
        ) from None
    return Path(folder), pinned


def check_translates(folder: Path, name: str, pairs: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, str]]:
    """Load the converted model as the gateway will and translate SAMPLE; its pairs and the result."""
    from models.ct2 import CTranslate2Engine

    # Greedy and short: the check is that it loads and writes something, not how well.
    spec = EngineSpec(
        name=name,
        kind="ctranslate2",
        model=str(folder),
        pairs=pairs or ("auto",),
        device="cpu",
        beam_size=1,
        max_length=64,
    )
    engine = CTranslate2Engine.from_spec(spec)
    try:
        served = sorted(engine.pairs, key=str)
        if not served:
            raise ConfigError(f"{name}: the converted model serves no language pair; pass --pairs such as en-de")
        english = [p for p in served if p.source == "en"]
        pair: LanguagePair = (english or served)[0]
        [hyp] = engine.translate([SAMPLE], pair)
    finally:
        engine.close()
    if not hyp.text.strip():
        raise ConfigError(f"{name}: the converted model translated a test sentence ({pair}) to nothing")
    return tuple(str(p) for p in served), (str(pair), hyp.text)


def engine_block(pulled: Pulled) -> str:
    """The [[engine]] table for the engines file, with where the model came from."""
    origin = pulled.source + (f" at revision {pulled.revision}" if pulled.revision else "")
    day = datetime.now(UTC).date().isoformat()
    pairs = ", ".join(f'"{p}"' for p in pulled.pairs)
    return (
        f"\n# {pulled.name}: from {origin}, converted to CTranslate2 int8 by `tonegate models pull` on {day}\n"
        "[[engine]]\n"
        f'name = "{pulled.name}"\n'
        'kind = "ctranslate2"\n'
        f"model = {_toml_string(str(pulled.folder))}\n"
        f"pairs = [{pairs}]\n"
    )


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def declare(engines_file: Path, block: str, initial: str) -> None:
    """Append `block` to the engines file (created from `initial`), validated whole, written atomically."""
    import tomllib

    current = engines_file.read_text(encoding="utf-8") if engines_file.exists() else initial
    text = current.rstrip("\n") + "\n" + block
    try:
        parse_engine_specs(tomllib.loads(text), str(engines_file))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{engines_file}: not valid TOML after adding the engine ({exc}); left unchanged") from None
    engines_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=engines_file.parent, prefix=".engines-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, engines_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pull(
    model: str,
    *,
    output_root: Path,
    engines_file: Path,
    initial_engines: str,
    name: str | None = None,
    pairs: tuple[str, ...] = (),
    revision: str | None = None,
    quantization: str = "int8",
    force: bool = False,
) -> Pulled:
    """Fetch, convert, check, declare; raises ConfigError (nothing declared) when a step fails."""
    from models.ct2 import convert

    name = name or engine_name(model)
    if engines_file.exists():
        import tomllib

        try:
            declared = tomllib.loads(engines_file.read_text(encoding="utf-8")).get("engine", [])
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{engines_file} is not valid TOML: {exc}") from None
        if any(isinstance(t, dict) and t.get("name") == name for t in declared):
            raise ConfigError(f"{engines_file} already declares an engine named {name!r}; pass --name")
    source, pinned = fetch(model, revision)
    folder = (output_root / name).resolve()
    try:
        convert(source, folder, quantization, force=force)
    except ModelError:
        raise
    except Exception as exc:  # the converter's own errors, in words
        raise ConfigError(f"cannot convert {model}: {exc}") from exc
    served, sample = check_translates(folder, name, pairs)
    pulled = Pulled(name, folder, model, pinned, served, sample)
    declare(engines_file, engine_block(pulled), initial_engines)
    return pulled
