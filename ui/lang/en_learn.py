"""English texts of the Learn page (the equations themselves are in ui/learn.py)."""

LEARN: dict[str, str] = {
    "learn.title": "Learn",
    "learn.intro": (
        "A recurrent network reads a window of the series one step at a time and carries a **hidden state** "
        "h from step to step: its memory of what it has seen. Below are the equations of the four cells this "
        "lab can train, with the same letters as the heatmaps on **Inside the cell**. σ is the logistic "
        "sigmoid (0..1), ⊙ multiplies element by element, x is the input at one step. Every cell ends with "
        "the same head: a linear layer on the hidden state after the last step, which gives one value per step of the "
        "horizon."
    ),
    "learn.rnn": (
        "The simplest recurrent cell: the new hidden state is a squashed mix of the input and the previous "
        "state. With activation relu, relu replaces tanh. On **Inside the cell** it has a single row, "
        "*hidden state h*: there are no gates."
    ),
    "learn.lstm": (
        "The long short-term memory adds a separate **cell state** c, updated by addition: the forget gate f "
        "decides how much of the old c to keep, the input gate i how much of the new candidate g to write, "
        "and the output gate o how much of the memory to show in h. Heatmap rows: *input gate i*, *forget "
        "gate f*, *candidate* (g in the equations), *output gate o*, *hidden state h*, *cell state c*. With "
        "activation relu (as in the article's Keras example `LSTM(50, activation='relu')`), relu replaces "
        "both tanh's."
    ),
    "learn.gru": (
        "The gated recurrent unit has no separate memory: the update gate z blends the old state h with a "
        "candidate n (z near 1 keeps the old state), and the reset gate r decides how much of the old state "
        "the candidate may use. The equations are torch's. Heatmap rows: *reset gate r*, *update gate z*, "
        "*candidate* (n), *hidden state h*."
    ),
    "learn.article_lstm": (
        "The LSTM exactly as the source article prints it; it is not the standard LSTM (see below). Here "
        "[hₜ₋₁, xₜ] is the previous state and the input stacked in one vector. Heatmap rows: *input gate "
        "i*, *forget gate f*, *output gate o*, *candidate* (the article's cₜ), *hidden state h*; there is no "
        "cell-state row because there is no separate memory. With activation relu, relu replaces the tanh of "
        "the candidate."
    ),
    "learn.article_vs_standard": "The article's LSTM next to the standard LSTM",
    "learn.article_difference": (
        "The two cells have the same four gates and weight matrices, but they use them differently:\n\n"
        "- **Where o acts.** In the standard LSTM, oₜ decides how much of the memory is shown: "
        "hₜ = oₜ ⊙ tanh(cₜ). In the article's cell, oₜ multiplies the weighted sum W_c[hₜ₋₁, xₜ] "
        "*inside* the tanh (b_c is added afterwards), so it scales the candidate's input, not the output.\n"
        "- **No separate memory.** The standard LSTM keeps a cell state c next to h. In the article's cell, "
        "cₜ is only a candidate that lives for one step; the memory is h itself.\n"
        "- **How h is updated.** The article's hₜ = fₜ ⊙ hₜ₋₁ + iₜ ⊙ cₜ mixes the old state and the "
        "candidate with f and i: that is the standard LSTM's update of c, applied to h.\n"
        "- **No output squashing.** Nothing bounds h: when f + i stays above 1, h can grow past the −1..1 "
        "of a tanh, and every gate, which reads h, can saturate.\n\n"
        "What it means for long memories: both cells have an additive path (f near 1 keeps the memory and "
        "lets the gradient through), but in the article's cell the same vector is both the long-term memory "
        "and the short-term signal every gate reads, so keeping a value for long and reacting to the latest "
        "input pull h in opposite directions. The standard LSTM separates the two: c keeps, h shows. Note "
        "that the article's own code uses Keras's `LSTM` layer, which is the standard cell. To see the "
        "difference, run the scenario **The article's recipe** on the Home page, then compare the loss "
        "curves, and on **Inside the cell** the range of the hidden state and the gradient through time."
    ),
    "learn.bptt": "Backpropagation through time",
    "learn.bptt_text": (
        "To train a recurrent network, unroll it: one window of `lookback` steps becomes a deep feed-forward "
        "network with one layer per step, all sharing the same weights. The loss is computed at the end and "
        "its gradient flows back step by step with the chain rule; the gradient of each weight is the sum of "
        "its contributions at every step.\n\n"
        "How much an early step k still matters is a **product of Jacobians** ∂hₜ/∂hₜ₋₁, one per step "
        "from k to the end. For the vanilla RNN each factor is the weight matrix W_hh times the slope of "
        "tanh (at most 1). If these factors shrink a vector even a little, the product shrinks exponentially: "
        "the gradient **vanishes** and the network cannot learn long dependencies. If they stretch it, "
        "the product grows exponentially: the gradient **explodes** and training jumps or diverges.\n\n"
        "Gates are the fix for vanishing: along the LSTM's cell state the direct factor is just fₜ, so with a "
        "forget gate near 1 the gradient passes through many steps almost unchanged (the GRU does the same "
        "with z). Gradient clipping is the fix for exploding: when the gradient's norm is above a limit, it "
        "is scaled down to that limit before the step. See it in the **Gradient through time** chart on "
        "**Inside the cell**: a curve that drops by decades towards the left is a vanishing gradient."
    ),
    "learn.settings": "What each setting does",
    "learn.section.data": "Columns",
    "learn.section.window": "Windows and split",
    "learn.section.model": "The model",
    "learn.section.train": "Training",
    "learn.setting.hidden_size": (
        "The size of the hidden state (and of the cell state for the LSTM): how much the network can "
        "remember and model. More units mean more weights, slower epochs and an easier road to "
        "overfitting; try 16 to 64 on small series and watch the gap between training and validation loss."
    ),
    "learn.setting.num_layers": (
        "Recurrent layers stacked on each other: layer 2 reads the hidden states of layer 1. One layer is "
        "usually enough for a single series of a few hundred values; try 2 (with some dropout) on long or "
        "complex data."
    ),
    "learn.setting.lookback": (
        "How many past steps each window shows the model, which is also how far backpropagation through "
        "time reaches. Cover at least one cycle of the data (12 for monthly data with a yearly pattern); "
        "longer windows train more slowly and make the gradient travel further."
    ),
    "learn.setting.lr": (
        "The size of each optimiser step. With Adam, 0.001 is a good start; if the loss jumps or the run "
        "diverges, divide it by 10; if the loss falls very slowly, try 3 times larger."
    ),
    "learn.setting.batch_size": (
        "How many windows are averaged for one gradient step. Small batches give more, noisier steps per "
        "epoch; large batches give fewer, smoother ones. 32 (the article's choice) is a good default; try "
        "16 to 128."
    ),
    "learn.setting.clip_norm": (
        "If the norm of the whole gradient is above this value, the gradient is scaled down to it before "
        "the step; 0 turns clipping off. Try 1 when the loss spikes or the run diverges: it stops exploding "
        "gradients, but does nothing for vanishing ones."
    ),
    "learn.setting.forget_bias": (
        "The starting bias of the forget gate of the LSTM and the article's LSTM (of the update gate z for "
        "the GRU; the vanilla RNN has no gate). With 1 the gate starts about 73% open (σ(1) ≈ 0.73), so memory and "
        "gradient survive from the first epoch; compare 0 and 1 on the memory task."
    ),
    "learn.setting.dropout": (
        "During training, sets this fraction of the outputs of each layer but the last to zero at random, "
        "so the network cannot rely on a few units; it needs two layers or more. Try 0.1 to 0.3 when the "
        "validation loss rises while the training loss still falls."
    ),
    "learn.setting.patience": (
        "Stops training after this many epochs without a better validation loss, and keeps the weights of "
        "the best epoch; 0 turns it off. Try 10 to 20 on long runs: it guards against overfitting and saves "
        "time."
    ),
    "learn.setting.scaler": (
        "Rescales the values before training: standard to mean 0 and standard deviation 1, min-max to 0..1, "
        "fitted on the training part only so no information leaks from the future. Keep it on: values in "
        "the hundreds saturate the gates and the network stops learning."
    ),
}
