import pytest
import torch

from training.model import ActionLSTM, ModelConfig, build_model


def test_spec_model_has_84613_parameters() -> None:
    model = ActionLSTM(ModelConfig())
    assert sum(p.numel() for p in model.parameters()) == 84_613
    assert model.rnn.input_size == 34 and model.rnn.hidden_size == 128 and model.rnn.num_layers == 1


@pytest.mark.parametrize("config", [ModelConfig(num_classes=3), ModelConfig(num_classes=3, cell="gru"),
                                    ModelConfig(num_classes=3, bidirectional=True, num_layers=2)])
def test_padding_never_changes_the_output(config: ModelConfig) -> None:
    torch.manual_seed(0)
    model = ActionLSTM(config).eval()
    x = torch.randn(3, 7, 34)
    lengths = torch.tensor([7, 2, 5])
    padded = torch.cat([x, torch.randn(3, 293, 34)], dim=1)  # garbage after the valid frames
    with torch.no_grad():
        a, b = model(x, lengths), model(padded, lengths)
        alone = model(x[1:2, :2], torch.tensor([2]))
    assert a.shape == (3, 3)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a[1:2], alone)


def test_unknown_cell_is_refused() -> None:
    with pytest.raises(ValueError, match="lstm.*gru"):
        ActionLSTM(ModelConfig(cell="transformer"))


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 3, "bidirectional": True}, {"cell": "gru", "hidden_size": 17},
                                    {"ensemble": 3, "num_classes": 15, "input_size": 68}])
def test_parameter_count_is_the_models_own(kwargs: dict) -> None:
    """What the memory check before training counts is what PyTorch then allocates."""
    config = ModelConfig(**kwargs)
    assert config.parameter_count() == sum(p.numel() for p in build_model(config).parameters())
