from engine import (
    ClientError,
    ConfigError,
    ContextLengthError,
    EngineDeadError,
    EngineStartError,
    InputError,
    ModelNotFoundError,
    OptivllmError,
    StrategyError,
)


def test_every_error_is_an_optivllm_error():
    for cls in (
        ClientError,
        ConfigError,
        ContextLengthError,
        EngineDeadError,
        EngineStartError,
        InputError,
        ModelNotFoundError,
        StrategyError,
    ):
        assert issubclass(cls, OptivllmError)


def test_config_and_input_errors_are_value_errors():
    assert issubclass(ConfigError, ValueError) and issubclass(InputError, ValueError)
    assert issubclass(ModelNotFoundError, ConfigError)


def test_context_length_error_names_both_lengths_and_is_recoverable():
    err = ContextLengthError(3000, 2048, tag="verification")
    assert (err.prompt_tokens, err.max_model_len) == (3000, 2048)
    assert "3000" in str(err) and "2048" in str(err) and "verification" in str(err)
    assert err.recoverable


def test_engine_death_and_start_failures_are_fatal():
    assert not EngineDeadError("x").recoverable
    assert not EngineStartError("x").recoverable


def test_a_failed_batched_generate_raises_its_fatal_error_not_an_exception_group():
    from engine.vllm_client import _first_error

    dead, rejected = EngineDeadError("engine died"), ClientError("rejected")
    nested = ExceptionGroup("outer", [rejected, ExceptionGroup("inner", [dead])])
    assert _first_error(nested) is dead
    assert _first_error(ExceptionGroup("g", [rejected, ClientError("other")])) is rejected
