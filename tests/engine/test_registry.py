from pathlib import Path

import pytest

from engine import ConfigError, ModelNotFoundError, load_registry, parse_registry, resolve_model_source
from engine.registry import ModelEntry

GOOD = {"default": "tiny", "models": {"tiny": {"source": "embedded:smollm2", "max_model_len": 512}}}


def test_the_shipped_models_toml_is_valid_and_defaults_to_the_embedded_model():
    registry = load_registry(Path(__file__).parents[2] / "models.toml")
    entry = registry.get()
    assert entry.name == "smollm2-135m" and entry.source == "embedded:smollm2"
    assert len(registry.models) >= 3  # GPU examples beside the default


def test_entry_names_come_from_table_keys():
    assert parse_registry(GOOD).get("tiny").name == "tiny"


def test_unknown_key_is_reported_with_entry_and_field():
    data = {"default": "tiny", "models": {"tiny": {"source": "x", "dtyp": "float16"}}}
    with pytest.raises(ConfigError, match=r"models\.tiny\.dtyp: Extra inputs are not permitted"):
        parse_registry(data)


def test_wrong_type_is_reported_with_the_value():
    data = {"default": "tiny", "models": {"tiny": {"source": "x", "max_model_len": "big"}}}
    with pytest.raises(ConfigError, match=r"models\.tiny\.max_model_len: .*integer.*'big'"):
        parse_registry(data)


def test_missing_source_and_bad_default_are_errors():
    with pytest.raises(ConfigError, match=r"models\.tiny\.source: Field required"):
        parse_registry({"default": "tiny", "models": {"tiny": {}}})
    with pytest.raises(ConfigError, match="default = 'other' names no entry"):
        parse_registry({**GOOD, "default": "other"})


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ModelNotFoundError, match=r"no model 'gpt-5'.*\['tiny'\]"):
        parse_registry(GOOD).get("gpt-5")


def test_invalid_toml_file_is_a_config_error(tmp_path: Path):
    bad = tmp_path / "models.toml"
    bad.write_text("default = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_registry(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_registry(tmp_path / "nope.toml")


def test_a_source_that_is_neither_a_folder_nor_cached_is_model_not_found(tmp_path: Path):
    entry = ModelEntry(name="m", source="nobody/not-a-real-model-xyz")
    with pytest.raises(ModelNotFoundError, match="downloads nothing at run time"):
        resolve_model_source(entry)
    with pytest.raises(ModelNotFoundError, match="has no config.json"):
        resolve_model_source(ModelEntry(name="m", source=str(tmp_path)))
    with pytest.raises(ModelNotFoundError, match="no embedded model"):
        resolve_model_source(ModelEntry(name="m", source="embedded:nope"))


def test_unknown_engine_options_fail_before_the_engine_starts():
    from engine.vllm_client import engine_kwargs

    entry = ModelEntry(name="m", source="x", engine={"max_num_seqz": 4})
    with pytest.raises(ConfigError, match=r"unknown vLLM engine option\(s\) \['max_num_seqz'\]"):
        engine_kwargs(entry, "x", {}, on_cpu=True)
    kwargs = engine_kwargs(ModelEntry(name="m", source="x"), "x", {"max_num_seqs": 8}, on_cpu=True)
    assert kwargs["enforce_eager"] is True and kwargs["max_num_seqs"] == 8


def test_cpu_engines_prefill_whole_prompts_unless_the_entry_says_otherwise():
    # chunked prefill plus a seeded request kills vLLM's CPU engine (it rewinds a CPU generator)
    from engine.vllm_client import engine_kwargs

    assert engine_kwargs(ModelEntry(name="m", source="x"), "x", {}, on_cpu=True)["enable_chunked_prefill"] is False
    assert "enable_chunked_prefill" not in engine_kwargs(ModelEntry(name="m", source="x"), "x", {}, on_cpu=False)
    entry = ModelEntry(name="m", source="x", engine={"enable_chunked_prefill": True})
    assert engine_kwargs(entry, "x", {}, on_cpu=True)["enable_chunked_prefill"] is True


def test_cpu_engines_cache_in_small_blocks_unless_the_entry_says_otherwise():
    from engine.hardware import CPU_BLOCK_SIZE
    from engine.vllm_client import engine_kwargs

    assert engine_kwargs(ModelEntry(name="m", source="x"), "x", {}, on_cpu=True)["block_size"] == CPU_BLOCK_SIZE
    assert "block_size" not in engine_kwargs(ModelEntry(name="m", source="x"), "x", {}, on_cpu=False)
    entry = ModelEntry(name="m", source="x", engine={"block_size": 128})
    assert engine_kwargs(entry, "x", {}, on_cpu=True)["block_size"] == 128
