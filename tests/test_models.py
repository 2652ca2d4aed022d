"""SequenceModel: fused or explicit stack, inspect, initialisation from a generator."""

import pytest
import torch
from torch import nn

from rnncore.config import ConfigError, ModelConfig
from rnncore.nn.cells import GATES, SIGMOID_GATES, STATES, ExplicitRecurrent
from rnncore.nn.models import SequenceModel, build_model, parameter_count

torch.set_num_threads(1)

KINDS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("lstm", "relu"), ("gru", "tanh"),
         ("article_lstm", "tanh"), ("article_lstm", "relu")]


def make(cell="lstm", activation="tanh", seed=0, input_size=3, output_size=2, **fields):
    config = ModelConfig(cell=cell, activation=activation, **fields)
    return build_model(config, input_size, output_size, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("cell", "activation"), KINDS)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_inspect_equals_forward(cell, activation, num_layers):
    model = make(cell, activation, hidden_size=6, num_layers=num_layers, dropout=0.3)
    x = torch.randn(5, 7, 3, generator=torch.Generator().manual_seed(1))
    trace = model.inspect(x)
    assert model.training  # inspect leaves the mode as it was
    model.eval()
    torch.testing.assert_close(trace.output, model(x), atol=1e-5, rtol=0)
    assert trace.output.shape == (5, 2) and not trace.output.requires_grad
    assert len(trace.gates) == len(trace.states) == num_layers
    for gates, states in zip(trace.gates, trace.states, strict=True):
        assert tuple(gates) == GATES[cell] and tuple(states) == STATES[cell]
        for name, value in {**gates, **states}.items():
            assert value.shape == (5, 7, 6), name
        for name in set(gates) & set(SIGMOID_GATES):
            assert 0 <= gates[name].min() and gates[name].max() <= 1
    # the last layer's last hidden state is what the head reads
    torch.testing.assert_close(trace.output, model.head(trace.states[-1]["h"][:, -1]))


def test_inspect_accepts_numpy():
    model = make("gru", hidden_size=4)
    x = torch.randn(2, 3, 3)
    torch.testing.assert_close(model.inspect(x.numpy()).output, model(x).detach(), atol=1e-5, rtol=0)


@pytest.mark.parametrize(("cell", "activation", "kind"), [
    ("rnn", "relu", nn.RNN), ("lstm", "tanh", nn.LSTM), ("gru", "tanh", nn.GRU),
    ("lstm", "relu", ExplicitRecurrent), ("article_lstm", "tanh", ExplicitRecurrent),
])
def test_fused_where_torch_has_the_cell(cell, activation, kind):
    model = make(cell, activation, num_layers=2, dropout=0.2)
    assert type(model.rnn) is kind
    assert model.rnn.batch_first and model.rnn.dropout == 0.2
    if kind is nn.RNN:
        assert model.rnn.nonlinearity == "relu"


@pytest.mark.parametrize(("cell", "activation"), [("lstm", "relu"), ("article_lstm", "tanh"),
                                                  ("article_lstm", "relu")])
def test_explicit_cells_train(cell, activation):
    """A few Adam steps on a toy problem (the mean of the sequence) reduce the loss."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 10, 1, generator=g)
    y = x.mean(1)
    model = make(cell, activation, input_size=1, output_size=1, hidden_size=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    assert losses[-1] < 0.3 * losses[0]


def test_state_dict_moves_between_fused_and_explicit():
    fused = make("lstm", "tanh", hidden_size=5, num_layers=2)
    explicit = make("lstm", "relu", hidden_size=5, num_layers=2, seed=1)
    names = set(nn.LSTM(3, 5, 2).state_dict())
    assert {k.removeprefix("rnn.") for k in fused.state_dict() if k.startswith("rnn.")} == names
    explicit.load_state_dict(fused.state_dict())  # strict: every name matches
    stack = ExplicitRecurrent("lstm", 3, 5, 2, batch_first=True)
    stack.load_state_dict(fused.rnn.state_dict())
    x = torch.randn(4, 6, 3)
    torch.testing.assert_close(stack(x)[0], fused.rnn(x)[0])


@pytest.mark.parametrize("cell", ["lstm", "gru", "article_lstm"])
def test_forget_bias(cell):
    model = make(cell, hidden_size=4, num_layers=2, forget_bias=1.5)
    for layer in range(2):
        bias_ih, bias_hh = getattr(model.rnn, f"bias_ih_l{layer}"), getattr(model.rnn, f"bias_hh_l{layer}")
        assert torch.all(bias_ih[4:8] == 1.5) and torch.all(bias_hh[4:8] == 0)
        assert torch.all((bias_ih + bias_hh).abs()[:4] < 1)  # other gates keep their random init
    plain = SequenceModel(ModelConfig(cell=cell, hidden_size=4, forget_bias=-2.0), 1, 1)
    assert torch.all(plain.rnn.bias_ih_l0[4:8] == -2.0)


def test_forget_gate_is_open_with_a_large_bias():
    model = make("lstm", hidden_size=4, forget_bias=5.0)  # the largest the setting allows
    trace = model.inspect(torch.zeros(1, 3, 3))
    assert trace.gates[0]["forget"].min() > 0.95  # sigmoid(5 - 0.5 - 0.5) at worst


def test_build_model_is_reproducible_and_leaves_global_rng_alone():
    config = ModelConfig(cell="article_lstm", num_layers=2, hidden_size=8)
    before = torch.get_rng_state()
    a = build_model(config, 2, 1, torch.Generator().manual_seed(7))
    b = build_model(config, 2, 1, torch.Generator().manual_seed(7))
    c = build_model(config, 2, 1, torch.Generator().manual_seed(8))
    assert torch.equal(torch.get_rng_state(), before)
    for (name, pa), pb, pc in zip(a.named_parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb), name
        assert not torch.equal(pa, pc), name
        assert pa.abs().max() <= 1 / 8 ** 0.5
    assert not any(p.is_meta for p in a.parameters())


def test_sizes_and_parameter_groups():
    model = make("lstm", hidden_size=4, num_layers=2, input_size=3, output_size=2)
    expected = 4 * (4 * 3 + 4 * 4 + 8) + 4 * (4 * 4 + 4 * 4 + 8) + 4 * 2 + 2
    assert model.num_parameters() == expected
    groups = model.layer_parameters()
    assert list(groups) == ["layer 0", "layer 1", "head"]
    grouped = [id(p) for params in groups.values() for p in params]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())
    assert (model.config.cell, model.input_size, model.output_size) == ("lstm", 3, 2)
    assert model(torch.randn(5, 4, 3)).shape == (5, 2)


def test_bad_sizes_say_what_is_wrong():
    with pytest.raises(ConfigError, match="hidden_size must be between 1 and 1,024"):
        ModelConfig(hidden_size=0)
    with pytest.raises(ValueError, match="input_size must be a whole number greater than zero"):
        SequenceModel(ModelConfig(), 0, 1)
    with pytest.raises(ValueError, match="output_size must be a whole number greater than zero"):
        make(output_size=-1)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 3\)"):
        make()(torch.zeros(2, 5, 4))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "article_lstm"])
def test_parameter_count_is_known_before_the_model_is_built(cell):
    from rnncore.nn.models import parameter_count

    for layers, hidden, inputs, outputs in [(1, 1, 1, 1), (2, 7, 3, 2), (3, 16, 1, 5)]:
        config = ModelConfig(cell=cell, hidden_size=hidden, num_layers=layers)
        model = build_model(config, inputs, outputs, torch.Generator().manual_seed(0))
        assert parameter_count(config, inputs, outputs) == model.num_parameters()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "article_lstm"])
def test_an_embedding_is_a_learned_map_the_first_layer_reads_through(cell):
    """With ``embedding`` E the model is the same stack reading x @ W.T (W: E x inputs), no bias: on one-hot
    characters each column of W is a character's vector; its parameters are counted before it is built."""
    config = ModelConfig(cell=cell, hidden_size=6, num_layers=2, embedding=4)
    model = build_model(config, 11, 11, torch.Generator().manual_seed(0))
    assert model.num_parameters() == parameter_count(config, 11, 11) == 11 * 4 + parameter_count(
        ModelConfig(cell=cell, hidden_size=6, num_layers=2), 4, 11)
    plain = build_model(ModelConfig(cell=cell, hidden_size=6, num_layers=2), 4, 11, torch.Generator().manual_seed(1))
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("embed.")})
    x = torch.nn.functional.one_hot(torch.randint(0, 11, (3, 9), generator=torch.Generator().manual_seed(2)),
                                    11).float()
    embedded = x @ model.embed.weight.T
    assert torch.allclose(model(x), plain(embedded), atol=1e-6)
    assert torch.allclose(model.forward_steps(x), plain.forward_steps(embedded), atol=1e-6)
    assert torch.allclose(model.inspect(x).states[0]["h"], plain.inspect(embedded).states[0]["h"], atol=1e-6)
    assert list(model.layer_parameters())[0] == "embedding"
    loss = model.forward_steps(x).square().mean()
    loss.backward()
    assert model.embed.weight.grad is not None and model.embed.weight.grad.abs().sum() > 0
